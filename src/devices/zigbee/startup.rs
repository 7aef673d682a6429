//! Start-up (zigbee-herdsman `src/adapter/z-stack/adapter/manager.ts`, the notes' sequence):
//! ping, version, device info, the HAS_CONFIGURED marker in NV; then form a new network or
//! resume the stored one, and register endpoint 1 for Home Automation.
//!
//! Forming: STARTUP_OPTION = 3 (clear state and config), soft reset, LOGICAL_TYPE = 0
//! (coordinator), PAN id, extended PAN id, channel list, network key, PRECFGKEYS_ENABLE = 1,
//! ZDO_DIRECT_CB = 1 (ZDO answers come to the host), the BDB channels, BDB formation, wait for
//! STATE_CHANGE_IND 0x09, then HAS_CONFIGURED = 0x55. Resuming: STARTUP_FROM_APP and the same
//! wait, unless the chip already is the coordinator.

use tracing::{info, warn};

use super::driver::Driver;
use super::mt::commands::{self, Endpoint, STATE_COORDINATOR, ZDO_STATE_CHANGE_IND, nv};
use super::mt::frame::Frame;
use super::mt::parse::{self, DeviceInfo};
use super::mt::{SYS, ZDO};
use super::network::{self, NetworkInfo, NetworkParams};
use super::znp::{Answer, Awaited, Call, Failure};
use super::{ZigbeeError, ZigbeeSettings};

/// Pings before giving up: a stick just reset by DTR/RTS may drop the first while it boots.
const PING_ATTEMPTS: u32 = 3;
/// ZDO_STARTUP_FROM_APP's start delay, as zigpy-znp sends it.
const STARTUP_DELAY_MS: u16 = 100;

/// Endpoint 1: Home Automation, device 0x0005 (configuration tool, as herdsman registers);
/// Basic, Identify and IAS ACE served (what an IAS CIE offers); the clusters whose reports
/// and IAS zone messages a coordinator takes as a client.
pub(crate) fn endpoint() -> Endpoint {
    Endpoint {
        id: 1,
        profile: 0x0104,
        device_id: 0x0005,
        in_clusters: vec![0x0000, 0x0003, 0x0501],
        out_clusters: vec![
            0x0001, 0x0006, 0x0008, 0x0300, 0x0402, 0x0405, 0x0406, 0x0500,
        ],
    }
}

/// Runs start-up; with `restore`, forms the network the backup holds whatever NV holds.
pub(crate) async fn start_up(
    driver: &Driver,
    settings: &ZigbeeSettings,
    restore: Option<(NetworkParams, u64)>,
) -> Result<NetworkInfo, ZigbeeError> {
    ping(driver, settings).await?;
    let version = parse::version(&srsp(driver, settings, commands::version()).await?)?;
    let device = device_info(driver, settings).await?;
    let configured = nv_read(driver, settings, nv::HAS_CONFIGURED).await?;
    let stored = configured.as_deref() == Some(&[nv::CONFIGURED][..]);
    let formed = match restore {
        Some((params, ieee)) => {
            form(driver, settings, &params, Some(ieee)).await?;
            true
        }
        None if !stored => {
            let s = settings;
            let params = NetworkParams::random(s.channel, s.pan_id, s.extended_pan_id);
            form(driver, settings, &params, None).await?;
            true
        }
        None if device.state == STATE_COORDINATOR => false,
        None => {
            resume(driver, settings).await?;
            false
        }
    };
    register(driver, settings).await?;
    let ieee = device_info(driver, settings).await?.ieee;
    let params = read_params(driver, settings).await?;
    if !formed {
        warn_on_mismatch(settings, &params);
    }
    info!(
        ieee = format!("{ieee:016x}"),
        channel = params.channel,
        pan_id = format!("{:04x}", params.pan_id),
        formed,
        "Zigbee network up"
    );
    Ok(NetworkInfo {
        ieee,
        params,
        version,
        formed,
    })
}

/// Brings the stored network back after the chip restarted, and registers endpoint 1 again.
pub(crate) async fn recover(driver: &Driver, settings: &ZigbeeSettings) -> Result<(), ZigbeeError> {
    ping(driver, settings).await?;
    if device_info(driver, settings).await?.state != STATE_COORDINATOR {
        resume(driver, settings).await?;
    }
    register(driver, settings).await
}

async fn ping(driver: &Driver, settings: &ZigbeeSettings) -> Result<(), ZigbeeError> {
    let mut attempt = 1;
    loop {
        match srsp(driver, settings, commands::ping()).await {
            Ok(_) => return Ok(()),
            Err(ZigbeeError::Chip(Failure::NoResponse(_) | Failure::ChipReset))
                if attempt < PING_ATTEMPTS =>
            {
                warn!(attempt, "the Zigbee stick did not answer the ping; again");
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

async fn form(
    driver: &Driver,
    settings: &ZigbeeSettings,
    params: &NetworkParams,
    ieee: Option<u64>,
) -> Result<(), ZigbeeError> {
    info!(channel = params.channel, "forming a new Zigbee network");
    nv_write(driver, settings, nv::STARTUP_OPTION, &[3], "STARTUP_OPTION").await?;
    reset(driver, settings).await?;
    nv_write(driver, settings, nv::LOGICAL_TYPE, &[0], "LOGICAL_TYPE").await?;
    if let Some(ieee) = ieee {
        nv_write(
            driver,
            settings,
            nv::EXTADDR,
            &ieee.to_le_bytes(),
            "EXTADDR",
        )
        .await?;
    }
    let pan = params.pan_id.to_le_bytes();
    nv_write(driver, settings, nv::PANID, &pan, "PANID").await?;
    let ext = params.extended_pan_id.to_le_bytes();
    nv_write(
        driver,
        settings,
        nv::EXTENDED_PAN_ID,
        &ext,
        "EXTENDED_PAN_ID",
    )
    .await?;
    let mask = params.channel_mask().to_le_bytes();
    nv_write(driver, settings, nv::CHANLIST, &mask, "CHANLIST").await?;
    let key = &params.network_key;
    nv_write(driver, settings, nv::PRECFGKEY, key, "PRECFGKEY").await?;
    nv_write(
        driver,
        settings,
        nv::PRECFGKEYS_ENABLE,
        &[1],
        "PRECFGKEYS_ENABLE",
    )
    .await?;
    nv_write(driver, settings, nv::ZDO_DIRECT_CB, &[1], "ZDO_DIRECT_CB").await?;
    let primary = commands::bdb_set_channel(true, params.channel_mask());
    checked(driver, settings, primary, "BDB_SET_CHANNEL").await?;
    let secondary = commands::bdb_set_channel(false, 0);
    checked(driver, settings, secondary, "BDB_SET_CHANNEL").await?;
    let start = commands::bdb_start_commissioning(commands::BDB_FORMATION);
    let call = Call::new(start, settings.timeouts.sreq).awaiting(coordinator_state(settings, true));
    status_of(driver.call(call).await?, "BDB_START_COMMISSIONING")?;
    // The marker item may not exist on a fresh chip: create it, then set it.
    let init = commands::nv_item_init(nv::HAS_CONFIGURED, &[0]);
    let created = srsp(driver, settings, init).await?;
    if !matches!(created.first(), Some(0x00 | 0x09)) {
        let status = created.first().copied().unwrap_or(0xFF);
        return Err(ZigbeeError::Refused {
            step: "NV_ITEM_INIT HAS_CONFIGURED",
            status,
        });
    }
    let marker = [nv::CONFIGURED];
    nv_write(
        driver,
        settings,
        nv::HAS_CONFIGURED,
        &marker,
        "HAS_CONFIGURED",
    )
    .await
}

async fn resume(driver: &Driver, settings: &ZigbeeSettings) -> Result<(), ZigbeeError> {
    info!("resuming the stored Zigbee network");
    let start = commands::startup_from_app(STARTUP_DELAY_MS);
    // Status 0 "restored" and 1 "new state" both lead to the coordinator state.
    let call =
        Call::new(start, settings.timeouts.sreq).awaiting(coordinator_state(settings, false));
    driver.call(call).await.map(drop)
}

async fn register(driver: &Driver, settings: &ZigbeeSettings) -> Result<(), ZigbeeError> {
    let frame = commands::af_register(&endpoint());
    let status = srsp(driver, settings, frame).await?;
    // 0xB8 (ZApsDuplicateEntry): already registered since the chip last started.
    match status.first() {
        Some(0x00 | 0xB8) => Ok(()),
        other => Err(ZigbeeError::Refused {
            step: "AF_REGISTER",
            status: other.copied().unwrap_or(0xFF),
        }),
    }
}

async fn reset(driver: &Driver, settings: &ZigbeeSettings) -> Result<(), ZigbeeError> {
    let awaited = Awaited {
        subsystem: SYS,
        id: commands::SYS_RESET_IND,
        fields: vec![],
        timeout: settings.timeouts.reset,
        only_on_success: false,
    };
    driver
        .call(Call::new(commands::soft_reset(), settings.timeouts.sreq).awaiting(awaited))
        .await
        .map(drop)
}

fn coordinator_state(settings: &ZigbeeSettings, only_on_success: bool) -> Awaited {
    Awaited {
        subsystem: ZDO,
        id: ZDO_STATE_CHANGE_IND,
        fields: vec![(0, STATE_COORDINATOR)],
        timeout: settings.timeouts.startup,
        only_on_success,
    }
}

async fn device_info(driver: &Driver, s: &ZigbeeSettings) -> Result<DeviceInfo, ZigbeeError> {
    Ok(parse::device_info(
        &srsp(driver, s, commands::device_info()).await?,
    )?)
}

/// What the chip's NV holds for the network.
pub(crate) async fn read_params(
    driver: &Driver,
    s: &ZigbeeSettings,
) -> Result<NetworkParams, ZigbeeError> {
    let item = async |id: u16, len: usize, step: &'static str| {
        let value = nv_read(driver, s, id).await?;
        match value {
            Some(v) if v.len() >= len => Ok(v),
            _ => Err(ZigbeeError::Refused { step, status: 0xFF }),
        }
    };
    let pan = item(nv::PANID, 2, "NV_READ PANID").await?;
    let ext = item(nv::EXTENDED_PAN_ID, 8, "NV_READ EXTENDED_PAN_ID").await?;
    let chans = item(nv::CHANLIST, 4, "NV_READ CHANLIST").await?;
    let key = item(nv::PRECFGKEY, 16, "NV_READ PRECFGKEY").await?;
    let mask = u32::from_le_bytes([chans[0], chans[1], chans[2], chans[3]]);
    let mut network_key = [0u8; 16];
    network_key.copy_from_slice(&key[..16]);
    let mut ext_le = [0u8; 8];
    ext_le.copy_from_slice(&ext[..8]);
    Ok(NetworkParams {
        channel: network::channel_of(mask).unwrap_or(s.channel),
        pan_id: u16::from_le_bytes([pan[0], pan[1]]),
        extended_pan_id: u64::from_le_bytes(ext_le),
        network_key,
    })
}

/// The outgoing frame counter from ZCD_NV_NWKKEY (key sequence number, key, counter), when
/// the chip lets it be read.
pub(crate) async fn frame_counter(driver: &Driver, s: &ZigbeeSettings) -> Option<u32> {
    let value = nv_read(driver, s, nv::NWKKEY).await.ok().flatten()?;
    let b = value.get(17..21)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn warn_on_mismatch(settings: &ZigbeeSettings, params: &NetworkParams) {
    // The stored network wins: switching would drop every joined device.
    if params.channel != settings.channel {
        warn!(
            stored = params.channel,
            configured = settings.channel,
            "the stored Zigbee network is on another channel than zigbee.channel; keeping it"
        );
    }
    if settings.pan_id.is_some_and(|p| p != params.pan_id)
        || settings
            .extended_pan_id
            .is_some_and(|p| p != params.extended_pan_id)
    {
        warn!("the stored Zigbee network has other PAN ids than the config; keeping it");
    }
}

/// The NV item's value; `None` when the chip says it has none.
async fn nv_read(
    driver: &Driver,
    s: &ZigbeeSettings,
    item: u16,
) -> Result<Option<Vec<u8>>, ZigbeeError> {
    let data = srsp(driver, s, commands::nv_read(item)).await?;
    Ok(parse::nv_value(&data)?.ok())
}

async fn nv_write(
    driver: &Driver,
    s: &ZigbeeSettings,
    item: u16,
    value: &[u8],
    step: &'static str,
) -> Result<(), ZigbeeError> {
    checked(driver, s, commands::nv_write(item, value), step).await
}

async fn checked(
    driver: &Driver,
    s: &ZigbeeSettings,
    frame: Frame,
    step: &'static str,
) -> Result<(), ZigbeeError> {
    let call = Call::new(frame, s.timeouts.sreq);
    status_of(driver.call(call).await?, step)
}

fn status_of(answer: Answer, step: &'static str) -> Result<(), ZigbeeError> {
    match answer.status() {
        Some(0) => Ok(()),
        other => Err(ZigbeeError::Refused {
            step,
            status: other.unwrap_or(0xFF),
        }),
    }
}

/// The SRSP data of an SREQ.
pub(crate) async fn srsp(
    driver: &Driver,
    s: &ZigbeeSettings,
    frame: Frame,
) -> Result<Vec<u8>, ZigbeeError> {
    let call = Call::new(frame, s.timeouts.sreq);
    Ok(driver.call(call).await?.srsp.unwrap_or_default())
}
