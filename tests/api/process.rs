//! The real `commentguard serve` binary as a child process, for what an in-process server
//! cannot show: `kill -9` at any moment, the service's own log output, a second process on
//! the same database.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use commentguard::config::Config;

/// A `commentguard serve` process with its configuration file and log.
pub struct Process {
    pub address: String,
    pub log_path: PathBuf,
    child: Child,
}

/// Writes `config` as TOML into `dir` (models given as an absolute path, bind on a free
/// port) and returns the file.
pub fn write_config(config: &mut Config, dir: &Path) -> PathBuf {
    config.models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    config.bind = SocketAddr::from(([127, 0, 0, 1], port));
    let path = dir.join("commentguard.toml");
    std::fs::write(&path, toml::to_string(&*config).expect("config serializes")).unwrap();
    path
}

impl Process {
    /// Starts `commentguard serve` on `config` (written to a file in `dir` first) and waits until
    /// `/healthz` answers.
    pub async fn start(config: &mut Config, dir: &Path, log_name: &str) -> Process {
        let config_path = write_config(config, dir);
        let log_path = config_path.with_file_name(log_name);
        let log = std::fs::File::create(&log_path).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_commentguard"))
            .arg("serve")
            .arg("--config")
            .arg(&config_path)
            .env_remove("COMMENTGUARD_BIND")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("commentguard serve starts");
        let process = Process {
            address: format!("http://{}", config.bind),
            log_path,
            child,
        };
        process.wait_until_up().await;
        process
    }

    async fn wait_until_up(&self) {
        commentguard::webhooks::install_tls_provider();
        let client = crate::helpers::plain_client();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(res) = client.get(self.url("/healthz")).send().await {
                if res.status() == 200 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the server did not come up: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Everything the process has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// `kill -9`: no shutdown, no final checkpoint, requests in flight cut off.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    /// SIGTERM and wait: a graceful stop.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                self.child.kill().unwrap();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
