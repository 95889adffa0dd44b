//! `anchordesk lint`: the claims linter on files or standard input.
//!
//! Exit codes: 0 when no finding is an error, 1 when any is, 2 on usage or I/O errors
//! (a file that cannot be read is reported and skipped; the others are still linted).

use std::io::Read;
use std::path::PathBuf;

use anchordesk_claims::render::{self, FileFindings};
use anchordesk_claims::{Finding, Lang, LintOptions, LinterBuilder, ProductCategory, ProductContext, Severity};
use anyhow::Context;

/// Arguments of `anchordesk lint`.
#[derive(clap::Args, Debug)]
pub struct LintArgs {
    /// Files to lint (UTF-8, or GBK/GB18030); `-` or none reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Which rule packs to run.
    #[arg(long, value_enum, default_value_t = LangArg::Auto)]
    pub lang: LangArg,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print the long explanation of a rule and exit.
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,
    /// A directory of team rule packs (*.toml) loaded on top of the defaults.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Product facts as JSON (a `ProductContext`: certificates, recentPricesFen, stock,
    /// lineupGiftNames, registeredNames) for the cross-checks.
    #[arg(long, value_name = "FILE")]
    pub product_json: Option<PathBuf>,
    /// Cross-check against this catalog product's facts (certificates, price, stock).
    #[arg(long, value_name = "SKU", conflicts_with = "product_json")]
    pub product: Option<String>,
    /// Lint as for a product of this category (food, health-food, cosmetic, medical-device,
    /// farm-input, household, apparel, service, other, or the Chinese names 普通食品,
    /// 保健食品 …); overrides the category of `--product`/`--product-json`.
    #[arg(long, value_name = "CATEGORY")]
    pub category: Option<String>,
    /// A registered function of the health food (repeatable), e.g. `--function 增强免疫力`.
    #[arg(long = "function", value_name = "FUNCTION")]
    pub functions: Vec<String>,
    /// List the lexicons the rules compose (name, size, source, licence) and exit.
    #[arg(long)]
    pub lexicons: bool,
}

/// `--lang`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum LangArg {
    /// Chinese packs.
    Zh,
    /// English packs.
    En,
    /// Both.
    Auto,
}

/// `--format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    /// Compiler-like text with a caret under each finding.
    Text,
    /// A JSON array of findings, each with its `file`.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// Runs the command and returns the exit code.
pub fn run(args: &LintArgs) -> anyhow::Result<i32> {
    let product = match &args.product_json {
        None => None,
        Some(path) => {
            let json = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let product: ProductContext = serde_json::from_str(&json)
                .with_context(|| format!("parsing product facts in {}", path.display()))?;
            Some(product)
        }
    };
    run_with_product(args, product.as_ref())
}

/// Runs the command with product facts from elsewhere (the store, for `--product SKU`);
/// `product` takes precedence over `--product-json`.
pub fn run_with_product(args: &LintArgs, product: Option<&ProductContext>) -> anyhow::Result<i32> {
    let mut product = product.cloned();
    if let Some(name) = &args.category {
        let Some(category) = ProductCategory::parse(name) else {
            let known: Vec<&str> = ProductCategory::ALL.iter().map(|c| c.as_str()).collect();
            eprintln!("error: unknown category {name:?}; use one of {}", known.join(", "));
            return Ok(2);
        };
        product.get_or_insert_with(ProductContext::default).category = Some(category);
    }
    if !args.functions.is_empty() {
        if product.as_ref().and_then(|p| p.category) != Some(ProductCategory::HealthFood) {
            eprintln!("error: --function is a registered function of a health food; add --category health-food");
            return Ok(2);
        }
        product.get_or_insert_with(ProductContext::default).registered_functions.extend(args.functions.iter().cloned());
    }
    let product = product.as_ref();
    let mut builder = LinterBuilder::with_default_packs();
    if let Some(dir) = &args.rules {
        if !dir.is_dir() {
            anyhow::bail!("rule pack directory {} does not exist", dir.display());
        }
        // A bad pack is reported and skipped; the defaults stay in force.
        for error in builder.add_pack_dir(dir) {
            eprintln!("warning: rule pack skipped: {error}");
        }
    }
    let linter = builder.build();

    if args.lexicons {
        for lexicon in linter.lexicons() {
            let team = if lexicon.team_entries.is_empty() {
                String::new()
            } else {
                format!(" (+{} from team packs)", lexicon.team_entries.len())
            };
            println!("{{@{}}}\t{} phrases{team}\t{}", lexicon.name, lexicon.phrases, lexicon.title);
            println!("\tsource: {}\n\tlicence: {}", lexicon.source, lexicon.licence);
        }
        return Ok(0);
    }

    if let Some(rule_id) = &args.explain {
        let Some(text) = linter.explain(rule_id) else {
            eprintln!(
                "error: no rule {rule_id:?}; `anchordesk lint --format json` on a text shows rule IDs"
            );
            return Ok(2);
        };
        print!("{text}");
        return Ok(0);
    }

    let lang = match args.lang {
        LangArg::Zh => Lang::Zh,
        LangArg::En => Lang::En,
        LangArg::Auto => Lang::Auto,
    };
    let options = LintOptions { lang, product };
    let stdin_only = args.files.is_empty() || args.files.iter().all(|f| f.as_os_str() == "-");
    let inputs: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };

    let mut io_failed = false;
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut stdin_read = false;
    for path in &inputs {
        let name = path.display().to_string();
        let bytes = if path.as_os_str() == "-" {
            if stdin_read {
                continue;
            }
            stdin_read = true;
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("reading standard input")
                .map(|_| bytes)
        } else {
            std::fs::read(path).with_context(|| format!("reading {name}"))
        };
        let decoded =
            bytes.and_then(|bytes| decode(&bytes).with_context(|| format!("decoding {name}")));
        match decoded {
            Ok(text) => texts.push((name, text)),
            Err(error) => {
                eprintln!("error: {error:#}");
                io_failed = true;
            }
        }
    }
    let findings: Vec<Vec<Finding>> = texts
        .iter()
        .map(|(_, text)| linter.lint(text, &options))
        .collect();
    let files: Vec<FileFindings<'_>> = texts
        .iter()
        .zip(&findings)
        .map(|((file, text), findings)| FileFindings {
            file,
            text,
            findings,
        })
        .collect();
    let report = match args.format {
        Format::Text => render::text(&files),
        Format::Json => render::json(&files) + "\n",
        Format::Sarif => render::sarif(&files, &linter) + "\n",
    };
    print!("{report}");
    if matches!(args.format, Format::Text)
        && findings.iter().all(Vec::is_empty)
        && !io_failed
        && !stdin_only
    {
        eprintln!("no findings in {} file(s)", files.len());
    }
    if io_failed {
        return Ok(2);
    }
    let any_error = findings
        .iter()
        .flatten()
        .any(|f| f.severity == Severity::Error);
    Ok(if any_error { 1 } else { 0 })
}

/// UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark (Notepad's
/// "Unicode"), else GB18030, which covers GBK.
/// UTF-8 (with or without BOM), UTF-16 with a BOM, or GBK/GB18030: the one reader of
/// `anchordesk_core::import`, shared with the catalog importer.
fn decode(bytes: &[u8]) -> anyhow::Result<String> {
    Ok(anchordesk_core::import::decode_text(bytes)?.0)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn gbk_input_is_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("全网最低价");
        assert_eq!(decode(&gbk).unwrap(), "全网最低价");
        assert_eq!(decode("\u{FEFF}最低价".as_bytes()).unwrap(), "最低价");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("最低价".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16).unwrap(), "最低价");
        assert!(decode(&[0xFF, 0xFF, 0xFF]).is_err());
    }
}
