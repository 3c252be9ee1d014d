//! The `oxmm` command.
fn main() {
    println!("oxmm: being written");
}
