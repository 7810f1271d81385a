//! One module per command; [`dispatch`] runs the one the command line names.

mod analyze;
mod compare;
mod export;
mod ingest;
mod ls;
mod predict;
mod prune;
mod report;
mod run;
mod select;
mod show;
mod slurm;
mod suggest;
mod sweeps;
mod validate;

use crate::Outcome;
use crate::cli::{Cli, Command};
use crate::load::{StoreAt, existing_store, open_store};
use anyhow::Result;

pub fn dispatch(cli: Cli) -> Result<Outcome> {
    let at = StoreAt::new(&cli.store, cli.runs_dir.as_deref())?;
    // Read only by the commands that print tables for people, so a bad names file stops
    // no other command.
    let names = || crate::load::display_names(&at, cli.names.as_deref());
    match cli.command {
        Command::Analyze {
            view,
            groups,
            args,
            format,
        } => {
            let store = existing_store(&at)?;
            analyze::analyze(store.as_ref(), view, &groups, &args, format, &names()?)?;
            Ok(Outcome::Ok)
        }
        Command::Select {
            sweep,
            require,
            rank,
            groups,
            format,
        } => {
            let store = existing_store(&at)?;
            select::select(
                store.as_ref(),
                sweep,
                &require,
                rank.as_deref(),
                groups,
                format,
            )?;
            Ok(Outcome::Ok)
        }
        Command::Report { out, require, args } => {
            let store = existing_store(&at)?;
            report::report(store.as_ref(), &args, &require, &out, &names()?)?;
            Ok(Outcome::Ok)
        }
        Command::Ingest { paths, format } => {
            let store = open_store(&at)?;
            ingest::ingest(store.as_ref(), &paths, format.as_deref())?;
            Ok(Outcome::Ok)
        }
        Command::Tag { run, tags, remove } => {
            let store = existing_store(&at)?;
            let bad: Vec<&String> = tags
                .iter()
                .chain(&remove)
                .filter(|t| t.trim().is_empty() || t.contains(','))
                .collect();
            if !bad.is_empty() {
                return Err(crate::InvalidInput(format!(
                    "tags must be non-empty and contain no comma: {bad:?}"
                ))
                .into());
            }
            let r = crate::load::user_lookup(store.tag_run(&run, &tags, &remove))?;
            println!("{}: tags [{}]", r.id, r.tags.join(", "));
            Ok(Outcome::Ok)
        }
        Command::Name { run, name } => {
            let store = existing_store(&at)?;
            if name.trim().is_empty() {
                return Err(crate::InvalidInput("a run's name cannot be empty".into()).into());
            }
            let r = crate::load::user_lookup(store.rename_run(&run, name.trim()))?;
            println!("{}: named {}", r.id, r.name);
            Ok(Outcome::Ok)
        }
        Command::Note { run, text, clear } => {
            let store = existing_store(&at)?;
            let note = if clear { None } else { text.as_deref() };
            let r = crate::load::user_lookup(store.note_run(&run, note))?;
            match &r.note {
                Some(n) => println!("{}: note: {n}", r.id),
                None => println!("{}: no note", r.id),
            }
            Ok(Outcome::Ok)
        }
        Command::Validate { spec, json } => {
            validate::validate(&spec, json)?;
            Ok(Outcome::Ok)
        }
        Command::Run { spec, work, new } => {
            run::run_spec(|| open_store(&at), &spec, &work, new, &names()?)
        }
        Command::Rerun { run, work } => {
            let store = existing_store(&at)?;
            run::rerun(store, &run, &work, &names()?)
        }
        Command::Resume { sweep, work } | Command::Agent { sweep, work } => {
            let store = existing_store(&at)?;
            run::run_existing(store, &sweep, &work, &names()?)
        }
        Command::Slurm(args) => {
            let store = existing_store(&at)?;
            slurm::slurm(store.as_ref(), &at, &args)?;
            Ok(Outcome::Ok)
        }
        Command::Sweeps { format } => {
            sweeps::sweeps(existing_store(&at)?.as_ref(), format)?;
            Ok(Outcome::Ok)
        }
        Command::Ls {
            sweep,
            status,
            format,
            runs,
            filter,
        } => {
            let store = existing_store(&at)?;
            ls::ls(
                store.as_ref(),
                sweep,
                status,
                format,
                runs,
                filter.as_deref(),
                &names()?,
            )?;
            Ok(Outcome::Ok)
        }
        Command::Show { run, json } => {
            show::show(existing_store(&at)?.as_ref(), &run, json)?;
            Ok(Outcome::Ok)
        }
        Command::Predict {
            run,
            input,
            text,
            label,
            format,
            out,
        } => {
            let store = existing_store(&at)?;
            predict::predict(
                store.as_ref(),
                &run,
                &input,
                &text,
                &label,
                format,
                out.as_deref(),
            )?;
            Ok(Outcome::Ok)
        }
        Command::Suggest { spec, runs, n } => {
            suggest::suggest(&spec, runs.as_deref(), n)?;
            Ok(Outcome::Ok)
        }
        Command::Prune { spec, runs } => {
            prune::prune(&spec, &runs)?;
            Ok(Outcome::Ok)
        }
        Command::Compare { runs } => {
            compare::compare(existing_store(&at)?.as_ref(), &runs)?;
            Ok(Outcome::Ok)
        }
        Command::Export {
            sweep,
            status,
            format,
            history,
            filter,
            out,
        } => {
            let store = existing_store(&at)?;
            export::export(
                store.as_ref(),
                sweep,
                status,
                filter.as_deref(),
                format,
                history,
                out.as_deref(),
            )?;
            Ok(Outcome::Ok)
        }
    }
}
