//! Writes the default packs' phrases as a prh rule file (YAML), so that textlint with
//! textlint-rule-prh can be run on the same word list (`scripts/bench-claims-vs-textlint.sh`).

use anchordesk_claims::Linter;

fn main() {
    let linter = Linter::default_packs();
    let mut seen = std::collections::HashSet::new();
    let mut out = String::from("version: 1\nrules:\n");
    for (_rule, phrase, rewrite) in linter.phrases() {
        if !seen.insert(phrase.clone()) {
            continue;
        }
        // prh wants a replacement different from the pattern; an empty rewrite means delete.
        let expected = if rewrite.is_empty() || rewrite == phrase {
            "□".to_owned()
        } else {
            rewrite
        };
        out.push_str(&format!(
            "  - expected: {}\n    pattern: {}\n",
            yaml_string(&expected),
            yaml_string(&phrase)
        ));
    }
    print!("{out}");
    eprintln!("{} phrases", seen.len());
}

fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}
