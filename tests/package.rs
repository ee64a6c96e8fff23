//! The release `.deb` that scripts/package.sh builds, installed with dpkg into a directory root of its
//! own (its maintainer scripts run too): it registers the `tel:` handler, its binary opens the window,
//! a `tel:` link launched as the desktop entry launches it pops the call, and removing it forgets the
//! handler. Ignored in the main run: scripts/test.sh builds the package first, then runs this.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use switchboard_testkit::webdriver::AppSession;
use switchboard_testkit::{demo_phone_numbers, free_port, TestHome};

#[test]
#[ignore = "needs the .deb that scripts/package.sh builds"]
fn the_deb_installs_registers_tel_links_launches_and_removes() {
    let deb = built_deb();
    let root = tempfile::tempdir().unwrap();
    let admin = root.path().join("var/lib/dpkg");
    for dir in ["info", "updates"] {
        std::fs::create_dir_all(admin.join(dir)).unwrap();
    }
    std::fs::write(admin.join("status"), "").unwrap();
    succeeds(dpkg(root.path(), &["-i", deb.to_str().unwrap()]), "dpkg -i");

    let binary = root.path().join("usr/bin/switchboard");
    assert!(binary.is_file(), "no usr/bin/switchboard in the package");
    let entry = std::fs::read_to_string(root.path().join("usr/share/applications/Switchboard.desktop")).unwrap();
    for line in ["Exec=switchboard %u", "Icon=switchboard", "MimeType=x-scheme-handler/tel;"] {
        assert!(entry.lines().any(|l| l == line), "the desktop entry lacks {line}:\n{entry}");
    }
    assert!(root.path().join("usr/share/icons/hicolor/256x256/apps/switchboard.png").is_file(), "no icon");
    assert_eq!(tel_handler(root.path()), "Switchboard.desktop");
    // The postinst's cache, which GIO (GNOME, browsers) reads where xdg-mime also scans the entries.
    assert!(mime_cache(root.path()).contains("x-scheme-handler/tel=Switchboard.desktop;"), "postinst did not register tel:");

    // The installed binary opens the window on the demo clinic.
    let home = TestHome::new();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(home.path().join("config/config.toml"), format!("[phone]\nport = {}\n", free_port())).unwrap();
    let app = AppSession::start(&binary, home.path());
    app.click(&app.find("//*[@role='dialog']//button[normalize-space()='Start on the demo clinic']"));
    app.find("//section[@aria-label='Worklist']//tbody/tr");

    // A tel: link, launched as the desktop entry's Exec line does: handed to the open window.
    let (number, _) = demo_phone_numbers(&home.store(), chrono::Utc::now(), 300);
    let launched = Command::new(&binary).arg(format!("tel:{number}")).env("SWITCHBOARD_HOME", home.path()).output().unwrap();
    succeeds(launched, "switchboard tel:…");
    app.find("//section[@aria-label='Phone call'][contains(., 'Incoming call')]");
    drop(app);

    succeeds(dpkg(root.path(), &["-r", "switchboard"]), "dpkg -r");
    assert!(!binary.exists(), "the binary outlived its removal");
    assert_eq!(tel_handler(root.path()), "", "the tel: handler outlived the package");
    assert!(!mime_cache(root.path()).contains("x-scheme-handler/tel"), "postrm left tel: registered");
}

fn mime_cache(root: &Path) -> String {
    std::fs::read_to_string(root.join("usr/share/applications/mimeinfo.cache")).unwrap_or_default()
}

/// scripts/package.sh's output in this build's target directory (target/debug/deps/app-… → target).
fn built_deb() -> PathBuf {
    let target = std::env::current_exe().unwrap().ancestors().nth(3).unwrap().to_path_buf();
    let arch = String::from_utf8(Command::new("dpkg").arg("--print-architecture").output().unwrap().stdout).unwrap();
    let deb = target.join(format!("release/bundle/deb/Switchboard_{}_{}.deb", env!("CARGO_PKG_VERSION"), arch.trim()));
    assert!(deb.is_file(), "{} is missing: run scripts/package.sh", deb.display());
    deb
}

/// dpkg acting on the directory root alone: its maintainer scripts run outside a chroot, with
/// DPKG_ROOT set (the root has no shell of its own), and the runtime libraries it depends on are
/// this machine's, not the root's.
fn dpkg(root: &Path, args: &[&str]) -> Output {
    Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["--force-script-chrootless", "--force-depends", "--force-not-root"])
        .args(args)
        .output()
        .unwrap()
}

fn succeeds(output: Output, what: &str) {
    assert!(output.status.success(), "{what} failed: {}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
}

/// What `xdg-mime` names as the `tel:` handler, reading only the root's applications.
fn tel_handler(root: &Path) -> String {
    let empty = tempfile::tempdir().unwrap();
    let output = Command::new("xdg-mime")
        .args(["query", "default", "x-scheme-handler/tel"])
        .env("XDG_DATA_DIRS", root.join("usr/share"))
        .env("XDG_DATA_HOME", empty.path())
        .env("XDG_CONFIG_HOME", empty.path())
        .env("XDG_CONFIG_DIRS", empty.path())
        .env_remove("XDG_CURRENT_DESKTOP")
        .output()
        .expect("xdg-mime runs (xdg-utils; scripts/setup.sh installs it)");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}
