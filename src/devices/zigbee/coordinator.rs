//! [`Zigbee`]: the handle the hub holds for one stick. It opens the port, starts the driver
//! task, runs start-up (form, resume or restore), and then acts: permit join, interview,
//! ZCL frames to devices with their delivery status, bind, leave, backup. A small supervisor
//! task beside the driver interviews devices that join and resumes the network when the chip
//! restarts on its own; both report on the [`Event`] stream. The supervisor holds a handle
//! too, so the driver task ends on the shutdown signal (or when the link ends), not when the
//! caller drops its last handle.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, broadcast, watch};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::driver::{Driver, Ended, Event};
use super::interview::{self, Interview};
use super::mt::commands::{self, AF_DATA_CONFIRM, ZDO_BIND_REQ, ZDO_MGMT_LEAVE_REQ, ZDO_RSP};
use super::mt::frame::Frame;
use super::mt::{AF, ZDO, parse};
use super::network::{Backup, NetworkInfo, NetworkParams};
use super::znp::{Awaited, Call};
use super::{ZigbeeError, ZigbeeSettings, port, startup};

/// Interviews run at once; more joins wait their turn.
pub const MAX_INTERVIEWS: usize = 4;
/// The longest ZCL frame one AF_DATA_REQUEST carries: MT's 250 data bytes less AF's own ten
/// (longer ones need AF_DATA_REQUEST_EXT, which nothing MIRAI sends needs).
pub const MAX_ZCL_LEN: usize = 240;
/// The longest permit join the chip times itself (255 would mean "until told").
const MAX_PERMIT_JOIN_S: u64 = 254;

/// A cloneable handle to one Zigbee stick.
#[derive(Debug, Clone)]
pub struct Zigbee {
    driver: Driver,
    settings: Arc<ZigbeeSettings>,
    ieee: u64,
    trans_id: Arc<AtomicU8>,
}

impl Zigbee {
    /// Opens the stick, starts its network (forms one if it holds none) and returns the
    /// handle, what start-up found, and the driver task. Everything stops on `shutdown`.
    pub async fn start(
        settings: ZigbeeSettings,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(Zigbee, NetworkInfo, JoinHandle<Ended>), ZigbeeError> {
        Zigbee::start_with(settings, None, shutdown).await
    }

    /// Like [`Zigbee::start`], but forms the network `backup` holds (same channel, ids, key
    /// and coordinator IEEE address), whatever the stick held before.
    pub async fn restore(
        settings: ZigbeeSettings,
        backup: &Backup,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(Zigbee, NetworkInfo, JoinHandle<Ended>), ZigbeeError> {
        let restore = backup.params().map_err(|reason| ZigbeeError::Backup {
            path: "(in memory)".into(),
            reason,
        })?;
        Zigbee::start_with(settings, Some(restore), shutdown).await
    }

    async fn start_with(
        settings: ZigbeeSettings,
        restore: Option<(NetworkParams, u64)>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(Zigbee, NetworkInfo, JoinHandle<Ended>), ZigbeeError> {
        let link = port::open(&settings.port, settings.reset).await?;
        let (driver, task) = Driver::spawn(link, shutdown.clone());
        // Dropping `driver` on failure ends the task as Unused.
        let info = startup::start_up(&driver, &settings, restore).await?;
        let zigbee = Zigbee {
            driver,
            settings: Arc::new(settings),
            ieee: info.ieee,
            trans_id: Arc::new(AtomicU8::new(0)),
        };
        tokio::spawn(zigbee.clone().supervise(shutdown));
        Ok((zigbee, info, task))
    }

    /// Network events from now on (joins, leaves, messages, interviews, resets).
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.driver.subscribe()
    }

    /// Opens the network for joining for `time` (the configured default when `None`; at
    /// most 254 s, which the chip times itself). Returns the chip's status (0: open).
    pub async fn permit_join(&self, time: Option<Duration>) -> Result<u8, ZigbeeError> {
        let secs = time.unwrap_or(self.settings.permit_join).as_secs();
        self.permit_join_secs(secs.clamp(1, MAX_PERMIT_JOIN_S) as u8)
            .await
    }

    /// Closes the network for joining.
    pub async fn stop_join(&self) -> Result<u8, ZigbeeError> {
        self.permit_join_secs(0).await
    }

    async fn permit_join_secs(&self, secs: u8) -> Result<u8, ZigbeeError> {
        let awaited = Awaited {
            subsystem: ZDO,
            id: commands::ZDO_MGMT_PERMIT_JOIN_REQ | ZDO_RSP,
            fields: vec![],
            timeout: self.settings.timeouts.zdo,
            only_on_success: true,
        };
        let call =
            Call::new(commands::permit_join(secs), self.settings.timeouts.sreq).awaiting(awaited);
        let answer = self.driver.call(call).await?;
        info!(seconds = secs, "Zigbee permit join");
        match answer.areq {
            Some(data) => Ok(parse::zdo_status(&data)?),
            None => Ok(answer.status().unwrap_or(0xFF)),
        }
    }

    /// Asks device `nwk` / `ieee` what it is.
    pub async fn interview(&self, nwk: u16, ieee: u64) -> Result<Interview, ZigbeeError> {
        interview::interview(&self.driver, nwk, ieee, &self.settings.timeouts).await
    }

    /// Sends the ZCL frame `zcl` to `nwk` endpoint `ep`, cluster `cluster`, from endpoint 1,
    /// and waits for its AF_DATA_CONFIRM. Returns the delivery status: 0 delivered, else the
    /// chip's or the network's reason (0xE9 MAC no ACK, 0xCD no route, 0x10 memory…).
    pub async fn send_zcl(
        &self,
        nwk: u16,
        ep: u8,
        cluster: u16,
        zcl: &[u8],
    ) -> Result<u8, ZigbeeError> {
        if zcl.len() > MAX_ZCL_LEN {
            return Err(ZigbeeError::TooLong(zcl.len()));
        }
        let trans_id = self.trans_id.fetch_add(1, Ordering::Relaxed);
        let request = commands::DataRequest {
            nwk,
            dst_ep: ep,
            src_ep: startup::endpoint().id,
            cluster,
            trans_id,
            payload: zcl.to_vec(),
        };
        let awaited = Awaited {
            subsystem: AF,
            id: AF_DATA_CONFIRM,
            fields: vec![(2, trans_id)],
            timeout: self.settings.timeouts.data_confirm,
            only_on_success: true,
        };
        let call = Call::new(
            commands::af_data_request(&request),
            self.settings.timeouts.sreq,
        )
        .awaiting(awaited);
        let answer = self.driver.call(call).await?;
        let status = match &answer.areq {
            Some(confirm) => confirm.first().copied(),
            None => answer.status(),
        };
        Ok(status.unwrap_or(0xFF))
    }

    /// Asks device `nwk` / `ieee` to send `cluster` from its endpoint `ep` to the
    /// coordinator's endpoint 1 (reports, IAS zone messages). Returns the device's status.
    pub async fn bind(&self, nwk: u16, ieee: u64, ep: u8, cluster: u16) -> Result<u8, ZigbeeError> {
        let to = startup::endpoint().id;
        let frame = commands::bind(nwk, ieee, ep, cluster, self.ieee, to);
        self.zdo_status(nwk, frame, ZDO_BIND_REQ).await
    }

    /// Asks device `nwk` / `ieee` to leave the network (and not rejoin). Returns its status.
    pub async fn leave(&self, nwk: u16, ieee: u64) -> Result<u8, ZigbeeError> {
        let frame = commands::leave(nwk, ieee);
        self.zdo_status(nwk, frame, ZDO_MGMT_LEAVE_REQ).await
    }

    async fn zdo_status(&self, nwk: u16, frame: Frame, id: u8) -> Result<u8, ZigbeeError> {
        let timeouts = &self.settings.timeouts;
        let data = interview::ask(&self.driver, nwk, frame, id, timeouts).await?;
        Ok(parse::zdo_status(&data)?)
    }

    /// What the stick holds for the network now, as a backup.
    pub async fn backup(&self) -> Result<Backup, ZigbeeError> {
        let params = startup::read_params(&self.driver, &self.settings).await?;
        let counter = startup::frame_counter(&self.driver, &self.settings).await;
        Ok(Backup::new(self.ieee, &params, counter))
    }

    /// Writes [`Zigbee::backup`] to `path` (mode 0600).
    pub async fn backup_to(&self, path: &Path) -> Result<Backup, ZigbeeError> {
        let backup = self.backup().await?;
        backup.save(path)?;
        Ok(backup)
    }

    /// The coordinator's IEEE address.
    pub fn ieee(&self) -> u64 {
        self.ieee
    }

    /// Interviews joining devices and resumes the network after a chip reset, until
    /// `shutdown` or the driver task ends.
    async fn supervise(self, mut shutdown: watch::Receiver<bool>) {
        let mut events = self.events();
        let interviews = Arc::new(Semaphore::new(MAX_INTERVIEWS));
        loop {
            let event = tokio::select! {
                _ = shutdown.changed() => return,
                () = self.driver.closed() => return,
                event = events.recv() => event,
            };
            match event {
                Ok(Event::Joined { nwk, ieee }) => {
                    let this = self.clone();
                    let slots = interviews.clone();
                    tokio::spawn(async move {
                        let Ok(_slot) = slots.acquire().await else {
                            return;
                        };
                        this.emit_interview(nwk, ieee).await;
                    });
                }
                Ok(Event::ChipReset) => {
                    match startup::recover(&self.driver, &self.settings).await {
                        Ok(()) => self.driver.emit(Event::Recovered),
                        Err(err) => warn!(cause = %err, "cannot resume the Zigbee network"),
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    warn!(missed, "the Zigbee supervisor fell behind on events");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    async fn emit_interview(&self, nwk: u16, ieee: u64) {
        let event = match self.interview(nwk, ieee).await {
            Ok(done) => Event::Interviewed(done),
            Err(err) => Event::InterviewFailed {
                nwk,
                ieee,
                error: err.to_string(),
            },
        };
        self.driver.emit(event);
    }
}
