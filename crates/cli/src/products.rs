//! `anchordesk products …` and `anchordesk broadcasts …`.

use anchordesk_core::import::{self, Format};
use anchordesk_core::{BroadcastId, Fen, Product};
use anyhow::{Context, bail};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum ProductsCommand {
    /// List the catalog.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Only products whose SKU, name, origin or spec contains this text.
        #[arg(long, default_value = "")]
        search: String,
    },
    /// Import products from CSV (UTF-8 or GBK/GB18030), XLSX or JSON; updates by SKU.
    Import {
        file: PathBuf,
        /// Check the file and report, but write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export the catalog to CSV or JSON (by the file's extension).
    Export { file: PathBuf },
}

#[derive(Subcommand)]
pub enum BroadcastsCommand {
    /// List broadcasts.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Create a broadcast, optionally from a template; prints its id.
    New(crate::plan::NewBroadcastArgs),
    /// Print or set the scene a broadcast goes on air with.
    Scene {
        /// Broadcast id (see `anchordesk broadcasts list`).
        id: i64,
        /// A scene of the library (see `anchordesk scenes list`); without it, prints the
        /// current one.
        #[arg(conflicts_with = "none")]
        name: Option<String>,
        /// Go on air without a scene: the camera fills the picture.
        #[arg(long)]
        none: bool,
    },
}

pub fn run_products(data_dir: &Path, command: ProductsCommand) -> anyhow::Result<u8> {
    match command {
        ProductsCommand::List { json, search } => {
            let store = crate::open_store(data_dir)?;
            let products = store.products(&search)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&products)?);
            } else {
                print_products(&products);
            }
            Ok(0)
        }
        ProductsCommand::Import { file, dry_run } => import_file(data_dir, &file, dry_run),
        ProductsCommand::Export { file } => {
            let store = crate::open_store(data_dir)?;
            let products = store.products("")?;
            let bytes = match Format::from_path(&file) {
                Some(Format::Csv) => import::export_csv(&products),
                Some(Format::Json) => import::export_json(&products),
                _ => bail!("cannot export to {}: use a .csv or .json file name", file.display()),
            };
            anchordesk_core::paths::write_atomic(&file, &bytes).with_context(|| format!("writing {}", file.display()))?;
            eprintln!("exported {} products to {}", products.len(), file.display());
            Ok(0)
        }
    }
}

pub fn run_broadcasts(data_dir: &Path, command: BroadcastsCommand) -> anyhow::Result<u8> {
    match command {
        BroadcastsCommand::List { json } => {
            let store = crate::open_store(data_dir)?;
            let broadcasts = store.broadcasts()?;
            if json {
                let with_lineups = broadcasts
                    .iter()
                    .map(|b| Ok(serde_json::json!({ "broadcast": b, "lineup": store.lineup(b.id)? })))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                println!("{}", serde_json::to_string_pretty(&with_lineups)?);
            } else if broadcasts.is_empty() {
                println!("no broadcasts yet: create one in the app (场次 → 新建场次)");
            } else {
                for b in &broadcasts {
                    let scene = if b.draft.scene.is_empty() { String::new() } else { format!("  [{}]", b.draft.scene) };
                    println!(
                        "{:>4}  {}  {:<10}  {:>2} items  {:>4} min  {}{scene}",
                        b.id, b.draft.planned_start, b.draft.platform, b.n_items, b.planned_minutes, b.draft.title
                    );
                }
            }
            Ok(0)
        }
        BroadcastsCommand::New(args) => crate::plan::run_new(data_dir, args),
        BroadcastsCommand::Scene { id, name, none } => {
            let mut store = crate::open_store(data_dir)?;
            let broadcast = if name.is_some() || none {
                plan_scene(&mut store, BroadcastId(id), name.as_deref())?
            } else {
                store.broadcast(BroadcastId(id))?
            };
            match broadcast.draft.scene.as_str() {
                "" => println!("broadcast {id} goes on air without a scene (the camera fills the picture)"),
                scene => println!("broadcast {id} goes on air with the scene {scene}"),
            }
            Ok(0)
        }
    }
}

/// Sets a broadcast's scene, saying which scenes there are when the name is not one.
pub(crate) fn plan_scene(store: &mut anchordesk_core::Store, id: BroadcastId, name: Option<&str>) -> anyhow::Result<anchordesk_core::Broadcast> {
    match anchordesk_live::scenes::plan_for(store, id, name) {
        Err(anchordesk_core::StoreError::Invalid(_)) => {
            let names: Vec<String> = anchordesk_live::scenes::library(store)?.into_iter().map(|e| e.scene.name).collect();
            bail!("no scene named {:?}; the library has: {}", name.unwrap_or_default(), names.join(", "))
        }
        other => Ok(other?),
    }
}

fn print_products(products: &[Product]) {
    if products.is_empty() {
        println!("the catalog is empty: add products in the app or run `anchordesk products import FILE`");
        return;
    }
    for p in products {
        let sample = if p.is_sample { " [sample]" } else { "" };
        println!(
            "{:<26} {:>10} {:>6}  {}{}",
            p.draft.sku,
            Fen::to_string(&p.draft.price),
            p.draft.stock,
            p.draft.name,
            sample
        );
    }
}

fn import_file(data_dir: &Path, file: &Path, dry_run: bool) -> anyhow::Result<u8> {
    let started = Instant::now();
    let parsed = import::read_products_file(file).with_context(|| format!("importing {}", file.display()))?;
    for error in &parsed.errors {
        eprintln!("{}:{error}", file.display());
    }
    if !parsed.ignored_columns.is_empty() {
        eprintln!("ignored columns: {}", parsed.ignored_columns.join(", "));
    }
    let drafts: Vec<_> = parsed.rows.iter().map(|(_, d)| d.clone()).collect();
    if dry_run {
        println!("dry run: {} rows would import, {} rows have errors; nothing was written", drafts.len(), parsed.errors.len());
    } else {
        let mut store = crate::open_store(data_dir)?;
        let bar = indicatif::ProgressBar::new(drafts.len() as u64).with_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
                .expect("the progress template is valid")
                .progress_chars("=> "),
        );
        bar.set_message("importing");
        // Only show the bar once the import has run for a second; short imports stay quiet.
        let mut progress = |done: usize| {
            if started.elapsed() > Duration::from_secs(1) {
                bar.set_position(done as u64);
            }
        };
        let outcomes = store.upsert_products(&drafts, &mut progress)?;
        bar.finish_and_clear();
        let n_inserted = outcomes.iter().filter(|o| matches!(o, anchordesk_core::store::Upserted::Inserted(_))).count();
        println!(
            "imported {} rows ({} new, {} updated); {} rows with errors were skipped",
            outcomes.len(),
            n_inserted,
            outcomes.len() - n_inserted,
            parsed.errors.len()
        );
    }
    Ok(if parsed.errors.is_empty() { 0 } else { 1 })
}
