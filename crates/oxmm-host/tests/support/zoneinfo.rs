//! `/proc/zoneinfo` as Linux 6.12 prints it: one `Node N, zone NAME` section per zone of
//! every online node (empty zones included), with `spanned`, `present` and `managed`.

/// One zone's sizes from `/proc/zoneinfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneInfo {
    /// The node id.
    pub nid: u32,
    /// The zone name (`DMA`, `DMA32`, `Normal`, `HighMem`, `Movable`, `Device`).
    pub zone: String,
    /// `spanned` pages.
    pub spanned: u64,
    /// `present` pages.
    pub present: u64,
    /// `managed` pages.
    pub managed: u64,
}

/// Parse a zoneinfo file. Errors name the line (1-based) and what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<ZoneInfo>, String> {
    let mut zones: Vec<ZoneInfo> = Vec::new();
    // Which of spanned/present/managed the current section has provided.
    let mut seen = [false; 3];
    for (n, line) in text.lines().enumerate() {
        let lineno = n + 1;
        if let Some(rest) = line.strip_prefix("Node ") {
            if let Some(z) = zones.last() {
                if seen != [true; 3] {
                    return Err(format!(
                        "zoneinfo line {lineno}: section Node {}, zone {} lacks spanned/present/managed",
                        z.nid, z.zone
                    ));
                }
            }
            let (nid, zone) = rest.split_once(", zone").ok_or_else(|| {
                format!("zoneinfo line {lineno}: {line:?} is not `Node N, zone NAME`")
            })?;
            let nid = nid
                .trim()
                .parse()
                .map_err(|e| format!("zoneinfo line {lineno}: node id {nid:?}: {e}"))?;
            zones.push(ZoneInfo {
                nid,
                zone: zone.trim().to_string(),
                spanned: 0,
                present: 0,
                managed: 0,
            });
            seen = [false; 3];
            continue;
        }
        let mut f = line.split_whitespace();
        let (Some(key), Some(val), None) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let slot = match key {
            "spanned" => 0,
            "present" => 1,
            "managed" => 2,
            _ => continue,
        };
        let Some(z) = zones.last_mut() else {
            return Err(format!(
                "zoneinfo line {lineno}: {key} before any `Node N, zone` header"
            ));
        };
        let v: u64 = val
            .parse()
            .map_err(|e| format!("zoneinfo line {lineno}: {key} value {val:?}: {e}"))?;
        match slot {
            0 => z.spanned = v,
            1 => z.present = v,
            _ => z.managed = v,
        }
        seen[slot] = true;
    }
    if let Some(z) = zones.last() {
        if seen != [true; 3] {
            return Err(format!(
                "zoneinfo: last section Node {}, zone {} lacks spanned/present/managed",
                z.nid, z.zone
            ));
        }
    }
    if zones.is_empty() {
        return Err("zoneinfo: no `Node N, zone NAME` section".to_string());
    }
    Ok(zones)
}
