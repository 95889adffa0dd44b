//! `anchordesk destinations`: the extra places a broadcast pushes to besides the platform's
//! ingest (another platform's RTMP/RTMPS URL with its stream key), kept in the OS keyring
//! like the window's Settings → Destinations. URLs are read from standard input, never from
//! the command line (a stream key in a shell's history or `ps` is a leaked key), and shown
//! with the key masked.

use anyhow::anyhow;
use std::io::Read;

/// `anchordesk destinations …`
#[derive(clap::Subcommand, Debug)]
pub enum DestinationsCommand {
    /// The destinations, with their stream keys masked.
    List,
    /// Adds a destination, or replaces the one of that name; the URL (rtmp:// or rtmps://
    /// with its stream key) is read from standard input.
    Add {
        /// A name to tell it by in the console (视频号, 快手 …).
        name: String,
        /// It pushes the second picture (第二画面, e.g. vertical), set with `anchordesk
        /// devices second-picture`, instead of the broadcast's.
        #[arg(long)]
        second: bool,
    },
    /// Removes a destination.
    Remove { name: String },
}

pub fn run(command: DestinationsCommand) -> anyhow::Result<u8> {
    let shown = match command {
        DestinationsCommand::List => anchordesk_live::destinations::list(),
        DestinationsCommand::Add { name, second } => {
            let mut url = String::new();
            std::io::stdin().read_to_string(&mut url)?;
            anchordesk_live::destinations::save(&name, url.trim(), second)
        }
        DestinationsCommand::Remove { name } => anchordesk_live::destinations::delete(&name),
    }
    .map_err(|err| {
        let fields: Vec<String> = err.fields.iter().map(|f| format!("{}: {:?}", f.field, f.code)).collect();
        anyhow!("{}{}", err.message, if fields.is_empty() { String::new() } else { format!(" ({})", fields.join(", ")) })
    })?;
    if shown.is_empty() {
        println!("no destinations besides the platform's ingest (add one: echo rtmp://… | anchordesk destinations add NAME)");
    }
    for destination in shown {
        let picture = if destination.second { "\tsecond picture" } else { "" };
        println!("{}\t{}{picture}", destination.name, destination.url);
    }
    Ok(0)
}
