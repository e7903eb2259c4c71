//! `--fix`'s one way of writing a file: the fixed text goes to a temporary
//! file in the same folder, which takes the original's owner, mode and
//! extended attributes and is then swapped in atomically.
//!
//! What it guarantees, and where each guarantee ends:
//! - **No lost edit.** On Linux the temporary file and the original are
//!   exchanged with `renameat2(RENAME_EXCHANGE)`; the swapped-out original is
//!   then compared with the text that was read. When another process changed
//!   it in between, the two are exchanged back and the file is reported as
//!   changed on disk (nothing of the other process's edit is lost). Where
//!   the file system has no `RENAME_EXCHANGE`, the file is re-read just before
//!   a plain rename: an edit landing between that read and the rename (a few
//!   microseconds) is the residual window. After an exchange, an edit made to
//!   the *new* file before the swap back (a writer that opened it in those
//!   microseconds) would go with it: the same residual window, the other way.
//! - **Never a file the user could not write.** The original is opened for
//!   writing first (nothing is written through it); when the kernel refuses,
//!   so does `--fix`, even though the folder would allow a rename.
//! - **Owner, mode, extended attributes kept.** When the owner cannot be kept
//!   (an unprivileged user fixing another user's group-writable file) or an
//!   attribute cannot be copied, the file is not replaced.
//! - **Hard links are reported, not broken.** A file with more than one link
//!   is not replaced: a rename would give the other names the old text.
//! - **A symbolic link named on the command line** has its target fixed; the
//!   link stays a link (the walk itself never follows links).
//!
//! Only `cli` writes files; the engine and the server never do.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rustix::fs::{RenameFlags, XattrFlags, CWD};

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The fixed text replaced the file.
    Replaced,
    /// The file already held exactly the fixed text (another run fixed it
    /// meanwhile): nothing was replaced, nothing counts as fixed here.
    AlreadyFixed,
}

/// Writes `new` over `path` through a temporary file in the same folder,
/// keeping owner, mode and extended attributes. Refuses when the file changed
/// since it was read as `old`, when the user could not write it, when it has
/// hard links, or when its owner or attributes cannot be kept.
pub fn write_atomically(path: &Path, old: &str, new: &str) -> anyhow::Result<Written> {
    let target = resolve_link(&without_dot_components(path))?;
    let original = File::options()
        .write(true)
        .open(&target)
        .with_context(|| format!("cannot open {} for writing", target.display()))?;
    let metadata = original.metadata().with_context(|| format!("cannot stat {}", target.display()))?;
    if !metadata.is_file() {
        bail!("{} is not a regular file", target.display());
    }
    if metadata.nlink() > 1 {
        bail!(
            "{} has {} hard links; replacing it would leave the other names with the old text (fix it where it has one name)",
            target.display(),
            metadata.nlink()
        );
    }
    let folder = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new().prefix(".ssot-fix-").tempfile_in(folder).with_context(|| {
        format!("cannot create a temporary file in {} to fix {}", folder.display(), target.display())
    })?;
    // The `File` itself, not the `NamedTempFile`: its errors would name the
    // temporary file, which is gone by the time the user reads them.
    let file = temporary.as_file_mut();
    file.write_all(new.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write the fixed text of {}", target.display()))?;
    copy_owner_mode_and_attributes(&original, file, &metadata)
        .with_context(|| format!("{} not replaced", target.display()))?;
    drop(original);
    match rustix::fs::renameat_with(CWD, temporary.path(), CWD, &target, RenameFlags::EXCHANGE) {
        Ok(()) => settle_exchange(temporary, &target, old, new),
        Err(error) if exchange_unsupported(error) => replace_after_recheck(temporary, &target, old, new),
        Err(error) => Err(std::io::Error::from(error)).with_context(|| format!("cannot replace {}", target.display())),
    }
}

/// `path` without `./` parts, as messages show it.
fn without_dot_components(path: &Path) -> PathBuf {
    path.components().filter(|part| !matches!(part, std::path::Component::CurDir)).collect()
}

/// `path` itself, or the file a symbolic link at `path` finally points at.
fn resolve_link(path: &Path) -> anyhow::Result<PathBuf> {
    let is_link = std::fs::symlink_metadata(path)
        .with_context(|| format!("cannot stat {}", path.display()))?
        .file_type()
        .is_symlink();
    if !is_link {
        return Ok(path.to_path_buf());
    }
    std::fs::canonicalize(path).with_context(|| format!("cannot resolve the symbolic link {}", path.display()))
}

/// Gives the temporary file the original's owner, group, mode and extended
/// attributes. The owner first: changing it clears set-user-ID bits.
fn copy_owner_mode_and_attributes(
    original: &File,
    temporary: &File,
    metadata: &std::fs::Metadata,
) -> anyhow::Result<()> {
    let created = temporary.metadata().context("cannot stat the temporary file")?;
    if created.uid() != metadata.uid() || created.gid() != metadata.gid() {
        let (uid, gid) = (rustix::fs::Uid::from_raw(metadata.uid()), rustix::fs::Gid::from_raw(metadata.gid()));
        rustix::fs::fchown(temporary, Some(uid), Some(gid)).map_err(std::io::Error::from).with_context(|| {
            format!(
                "cannot keep its owner {}:{} (only its owner's group members or root can)",
                metadata.uid(),
                metadata.gid()
            )
        })?;
    }
    temporary.set_permissions(metadata.permissions()).context("cannot keep its mode")?;
    for name in attribute_names(original)? {
        let value = attribute(original, &name)?;
        if attribute(temporary, &name).ok().as_ref() == Some(&value) {
            continue;
        }
        rustix::fs::fsetxattr(temporary, name.as_slice(), &value, XattrFlags::empty())
            .map_err(std::io::Error::from)
            .with_context(|| format!("cannot keep its extended attribute {}", String::from_utf8_lossy(&name)))?;
    }
    Ok(())
}

/// The names of a file's extended attributes (none where the file system
/// has no attributes).
fn attribute_names(file: &File) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut buffer = Vec::new();
    loop {
        let size = match rustix::fs::flistxattr_query(file) {
            Ok(size) => size,
            Err(rustix::io::Errno::NOTSUP) => return Ok(Vec::new()),
            Err(error) => return Err(std::io::Error::from(error)).context("cannot list extended attributes"),
        };
        buffer.resize(size, 0);
        match rustix::fs::flistxattr(file, &mut buffer[..]) {
            Ok(length) => {
                buffer.truncate(length);
                break;
            }
            // The list grew between the two calls: ask again.
            Err(rustix::io::Errno::RANGE) => continue,
            Err(error) => return Err(std::io::Error::from(error)).context("cannot list extended attributes"),
        }
    }
    Ok(buffer.split(|&byte| byte == 0).filter(|name| !name.is_empty()).map(<[u8]>::to_vec).collect())
}

fn attribute(file: &File, name: &[u8]) -> anyhow::Result<Vec<u8>> {
    let read = || -> rustix::io::Result<Vec<u8>> {
        loop {
            let size = rustix::fs::fgetxattr_query(file, name)?;
            let mut value = vec![0; size];
            match rustix::fs::fgetxattr(file, name, &mut value[..]) {
                Ok(length) => {
                    value.truncate(length);
                    return Ok(value);
                }
                Err(rustix::io::Errno::RANGE) => continue,
                Err(error) => return Err(error),
            }
        }
    };
    read()
        .map_err(std::io::Error::from)
        .with_context(|| format!("cannot read the extended attribute {}", String::from_utf8_lossy(name)))
}

/// Whether `renameat2(RENAME_EXCHANGE)` is not available here (an old
/// kernel, or a file system without it), so the fallback must do.
fn exchange_unsupported(error: rustix::io::Errno) -> bool {
    matches!(error, rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::OPNOTSUPP)
}

/// After the exchange the temporary path holds the original: keep the new
/// text when the original is still what was read; else exchange back.
fn settle_exchange(temporary: tempfile::NamedTempFile, target: &Path, old: &str, new: &str) -> anyhow::Result<Written> {
    let swapped_out = match std::fs::read(temporary.path()) {
        Ok(bytes) => bytes,
        Err(error) => {
            // Unverified: put the original back rather than risk dropping
            // it, and keep it beside the file when even that fails.
            if rustix::fs::renameat_with(CWD, temporary.path(), CWD, target, RenameFlags::EXCHANGE).is_err() {
                let _ = temporary.keep();
            }
            return Err(error).with_context(|| format!("cannot read back the previous text of {}", target.display()));
        }
    };
    if swapped_out == old.as_bytes() {
        // Dropping the temporary file removes the original's old inode.
        return Ok(Written::Replaced);
    }
    if swapped_out == new.as_bytes() {
        // Another run wrote the same fix meanwhile: either copy will do.
        return Ok(Written::AlreadyFixed);
    }
    if let Err(error) = rustix::fs::renameat_with(CWD, temporary.path(), CWD, target, RenameFlags::EXCHANGE) {
        // Keep the other process's text where the user can find it.
        let kept = temporary.keep().map(|(_, path)| path).unwrap_or_default();
        bail!(
            "{} changed on disk while it was being fixed, and putting the changed version back failed ({}): it is in {}",
            target.display(),
            std::io::Error::from(error),
            kept.display()
        );
    }
    bail!("{} changed on disk while it was being fixed; not fixed, run again", target.display())
}

/// The fallback without `RENAME_EXCHANGE`: re-read, compare, rename.
fn replace_after_recheck(
    temporary: tempfile::NamedTempFile,
    target: &Path,
    old: &str,
    new: &str,
) -> anyhow::Result<Written> {
    let current = std::fs::read(target).with_context(|| format!("cannot re-read {}", target.display()))?;
    if current == new.as_bytes() {
        return Ok(Written::AlreadyFixed);
    }
    if current != old.as_bytes() {
        bail!("{} changed on disk while it was being fixed; not fixed, run again", target.display());
    }
    temporary
        .persist(target)
        .map_err(|error| error.error)
        .with_context(|| format!("cannot replace {}", target.display()))?;
    Ok(Written::Replaced)
}
