//! The slab suite measures every benchmark for oxmm and the system allocator, with
//! sane figures, and a JSON line per result.

#[test]
fn quick_suite_measures_both_allocators() {
    let r = oxmm_bench::slab::run(true).unwrap();
    let mut benches: Vec<&str> = r.iter().map(|m| m.bench.as_str()).collect();
    benches.dedup();
    let mut expected = vec!["cache_pair_64"];
    let sizes: Vec<String> = oxmm_bench::slab::kmalloc_sizes(true)
        .iter()
        .map(|s| format!("kmalloc_pair_{s}"))
        .collect();
    expected.extend(sizes.iter().map(String::as_str));
    expected.extend(["producer_consumer_64", "larson", "random_sizes"]);
    assert_eq!(benches, expected);
    for b in &expected {
        let imps: Vec<&str> = r
            .iter()
            .filter(|m| m.bench == *b)
            .map(|m| m.imp.as_str())
            .collect();
        assert_eq!(imps, ["oxmm", "system"], "{b}");
    }
    for m in &r {
        assert!(
            m.ns_per_op.is_finite() && m.ns_per_op > 0.0 && m.min_ns <= m.ns_per_op,
            "{m:?}"
        );
        let j = m.json();
        assert!(j.starts_with(&format!(
            "{{\"bench\":\"{}\",\"impl\":\"{}\"",
            m.bench, m.imp
        )));
    }
}
