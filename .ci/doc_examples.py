#!/usr/bin/env python3
"""List public items whose doc comment has no example (the standard: docs with
examples on every public item). A heuristic over the text: `pub` fns, consts, statics,
types, traits, structs and enums outside `#[cfg(test)]` whose `///` lines hold no code
block. Not run by CI (it needs Python); run it before committing new public items:

    python3 .ci/doc_examples.py crates/oxmm/src crates/oxmm-host/src crates/oxmm-bench/src

Known and accepted: `MemMapPart::{pfn_interval, index_of}` and
`AllocContext::zonerefs` (no doctest can obtain those types)."""
import glob
import re
import sys

ITEM = re.compile(r'\s*pub (const |unsafe )?fn (\w+)|\s*pub (struct|enum|trait|type|const|static) (\w+)')
total = 0
missing = []
for root in sys.argv[1:] or ['crates']:
    for f in sorted(glob.glob(root + '/**/*.rs', recursive=True)):
        lines = open(f).read().split('\n')
        in_test = False
        for i, line in enumerate(lines):
            if re.match(r'\s*#\[cfg\(test\)\]', line):
                in_test = True
            if in_test or not ITEM.match(line):
                continue
            total += 1
            j, doc = i - 1, []
            while j >= 0 and (lines[j].strip().startswith('///') or lines[j].strip().startswith('#[')):
                doc.append(lines[j])
                j -= 1
            if not any('```' in d for d in doc):
                missing.append(f'{f}:{i + 1}: {line.strip()[:90]}')
print(f'{total} public items, {len(missing)} without an example')
for m in missing:
    print(m)
