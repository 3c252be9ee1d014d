//! The slab suite measures every benchmark for oxmm and each peer, with sane figures,
//! and a JSON line per result; `only` selects by name prefix.

const PEERS: [&str; 7] = [
    "system",
    "mimalloc",
    "jemalloc",
    "talc",
    "linked_list_allocator",
    "buddy_system_allocator",
    "slabmalloc",
];

#[test]
fn quick_suite_measures_every_allocator() {
    let r = oxmm_bench::slab::run(true, None).unwrap();
    let mut benches: Vec<&str> = r.iter().map(|m| m.bench.as_str()).collect();
    benches.dedup();
    let mut expected = vec!["cache_pair_64"];
    let sizes: Vec<String> = oxmm_bench::slab::kmalloc_sizes(true)
        .iter()
        .map(|s| format!("kmalloc_pair_{s}"))
        .collect();
    expected.extend(sizes.iter().map(String::as_str));
    expected.extend([
        "producer_consumer_64",
        "larson",
        "cache_scratch",
        "random_sizes",
    ]);
    assert_eq!(benches, expected);
    for b in &expected {
        // The GlobalAlloc workloads also run oxmm without its per-thread sheaves.
        let mut imps_expected = vec!["oxmm"];
        if ["larson", "cache_scratch", "random_sizes"].contains(b) {
            imps_expected.push("oxmm-no-sheaves");
        }
        imps_expected.extend(PEERS);
        let imps: Vec<&str> = r
            .iter()
            .filter(|m| m.bench == *b)
            .map(|m| m.imp.as_str())
            .collect();
        assert_eq!(imps, imps_expected, "{b}");
    }
    for m in &r {
        assert!(
            m.ns_per_op.is_finite() && m.ns_per_op > 0.0 && m.min_ns <= m.ns_per_op,
            "{m:?}"
        );
        let threads = if m.bench == "producer_consumer_64" || m.bench == "cache_scratch" {
            2
        } else {
            1
        };
        assert_eq!(m.threads, threads, "{m:?}");
        let j = m.json();
        assert!(j.starts_with(&format!(
            "{{\"bench\":\"{}\",\"impl\":\"{}\",\"threads\":{threads},\"ns_per_op\":",
            m.bench, m.imp
        )));
    }
}

#[test]
fn only_selects_by_prefix_and_rejects_unknown_names() {
    let r = oxmm_bench::slab::run(true, Some("kmalloc_pair_6")).unwrap();
    assert!(r.iter().all(|m| m.bench == "kmalloc_pair_64"), "{r:?}");
    assert_eq!(r.len(), 1 + PEERS.len());
    let e = oxmm_bench::slab::run(true, Some("nosuch")).unwrap_err();
    assert!(e.to_string().contains("\"nosuch\""), "{e}");
}
