//! [`SgChanger`]: a media changer driven with SMC commands over SG_IO, with the robustness
//! rules of scsi-tape.md §5.4: one element type per READ ELEMENT STATUS, allocation ≤ 0xFFFF,
//! paging through elements, counts cross-checked against page 1Dh, optional eject before
//! moving a cartridge out of a drive, bounded retries while the robot is busy.

use std::collections::HashMap;
use std::path::Path;

use tape_core::{DeviceError, ElementAddress, ElementKind, Inventory, MediaChanger};

use crate::cdb::smc::{self, ElementTypeCode, ReadElementStatus};
use crate::element::{self, AddressAssignment, ElementDescriptor};
use crate::map;
use crate::page::{self, PeripheralType};
use crate::sense::key;
use crate::timing::{RetryPolicy, Timeouts};
use crate::transport::{Completion, Data, Executor, ScsiTransport, SgDevice};

/// Largest allocation length sent (§5.4 rule 1).
const ALLOC: u32 = 0xffff;
/// Elements asked for per READ ELEMENT STATUS (§5.4 rule 2).
const CHUNK: u16 = 1000;

/// How to drive an [`SgChanger`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChangerOptions {
    /// Retries while the robot is busy or becoming ready.
    pub retry: RetryPolicy,
    /// Command timeouts (`robot` for moves and inventory).
    pub timeouts: Timeouts,
    /// Ask for volume tags (barcodes).
    pub volume_tags: bool,
}

impl Default for ChangerOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            volume_tags: true,
        }
    }
}

/// Something that ejects the cartridge of one drive before the robot pulls it.
pub type EjectHook = Box<dyn FnMut() -> Result<(), DeviceError> + Send>;

/// A media changer over SG_IO (or another [`ScsiTransport`]). Implements [`MediaChanger`].
pub struct SgChanger<T: ScsiTransport = SgDevice> {
    exec: Executor<T>,
    options: ChangerOptions,
    name: String,
    addresses: Option<AddressAssignment>,
    eject: HashMap<ElementAddress, EjectHook>,
}

impl<T: ScsiTransport> std::fmt::Debug for SgChanger<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SgChanger")
            .field("name", &self.name)
            .field("addresses", &self.addresses)
            .finish_non_exhaustive()
    }
}

impl SgChanger<SgDevice> {
    /// Opens a changer's SCSI generic node (`/dev/sgN`).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DeviceError> {
        Self::with_transport(SgDevice::open(path.as_ref())?, ChangerOptions::default())
    }
}

impl<T: ScsiTransport> SgChanger<T> {
    /// Uses `transport`: checks with INQUIRY that it is a changer and reads page 1Dh.
    pub fn with_transport(transport: T, options: ChangerOptions) -> Result<Self, DeviceError> {
        let name = transport.name().to_owned();
        let mut changer = Self {
            exec: Executor::new(transport, options.retry),
            options,
            name,
            addresses: None,
            eject: HashMap::new(),
        };
        let mut buf = [0u8; 96];
        let resid = changer.query(&crate::cdb::spc::inquiry(None, 96), &mut buf)?;
        let inquiry = page::decode_inquiry(&buf[..96 - resid]).map_err(decode_error)?;
        if inquiry.device_type != PeripheralType::Changer {
            return Err(DeviceError::IllegalRequest(format!(
                "{} is not a media changer ({:?} {} {})",
                changer.name, inquiry.device_type, inquiry.vendor, inquiry.product
            )));
        }
        changer.addresses = changer.address_assignment().ok();
        Ok(changer)
    }

    /// Runs `hook` to eject the cartridge of the drive at `drive` before every move out of it
    /// (libraries that refuse to pull a threaded cartridge, §5.4 rule 6).
    pub fn eject_before_unload(&mut self, drive: ElementAddress, hook: EjectHook) {
        self.eject.insert(drive, hook);
    }

    /// MODE SENSE page 1Dh: element address ranges.
    pub fn address_assignment(&mut self) -> Result<AddressAssignment, DeviceError> {
        let mut buf = [0u8; 255];
        let resid = self.query(&smc::mode_sense_element_addresses(255), &mut buf)?;
        element::decode_address_assignment(&buf[..255 - resid]).map_err(decode_error)
    }

    /// INITIALIZE ELEMENT STATUS: makes the robot scan its inventory (can take many minutes).
    pub fn initialize_element_status(&mut self) -> Result<(), DeviceError> {
        let t = self.options.timeouts.initialize;
        self.exec
            .run_ok(&smc::initialize_element_status(), &mut Data::None, t)
            .map(|_| ())
    }

    /// READ ELEMENT STATUS of one element type, paging through the addresses.
    pub fn element_status(
        &mut self,
        kind: ElementKind,
    ) -> Result<Vec<ElementDescriptor>, DeviceError> {
        let (first, count) = match self.addresses {
            Some(a) => a.range(kind),
            None => (0, u16::MAX),
        };
        if count == 0 {
            return Ok(Vec::new());
        }
        let end = u32::from(first) + u32::from(count);
        let mut start = first;
        let mut out: Vec<ElementDescriptor> = Vec::new();
        while u32::from(start) < end {
            let want =
                u16::try_from((end - u32::from(start)).min(u32::from(CHUNK))).unwrap_or(CHUNK);
            let got = self.read_elements(kind, start, want)?;
            let Some(last) = got.iter().map(|d| d.address).max() else {
                break;
            };
            out.extend(got.into_iter().filter(|d| d.kind == kind));
            if last < start || last == u16::MAX {
                break;
            }
            start = last + 1;
        }
        Ok(out)
    }

    fn read_elements(
        &mut self,
        kind: ElementKind,
        start: u16,
        count: u16,
    ) -> Result<Vec<ElementDescriptor>, DeviceError> {
        let tags = self.options.volume_tags && kind != ElementKind::Transport;
        match self.read_elements_once(kind, start, count, tags) {
            // Some changers cannot report volume tags for some types: ask without.
            Err(DeviceError::IllegalRequest(_)) if tags => {
                self.read_elements_once(kind, start, count, false)
            }
            other => other,
        }
    }

    fn read_elements_once(
        &mut self,
        kind: ElementKind,
        start: u16,
        count: u16,
        tags: bool,
    ) -> Result<Vec<ElementDescriptor>, DeviceError> {
        let cdb = smc::read_element_status(ReadElementStatus {
            element_type: type_code(kind),
            volume_tags: tags,
            start,
            count,
            device_ids: false,
            current_data: false,
            alloc: ALLOC,
        })
        .map_err(|e| DeviceError::IllegalRequest(e.to_string()))?;
        let mut buf = vec![0u8; usize::try_from(ALLOC).unwrap_or(0xffff)];
        let t = self.options.timeouts.robot;
        let resid = self.exec.run_ok(&cdb, &mut Data::In(&mut buf), t)?;
        let data = &buf[..buf.len() - resid.min(buf.len())];
        Ok(element::decode_element_status(data)
            .map_err(decode_error)?
            .descriptors)
    }

    fn query(&mut self, cdb: &crate::cdb::Cdb, buf: &mut [u8]) -> Result<usize, DeviceError> {
        let t = self.options.timeouts.query;
        match self.exec.run_ok(cdb, &mut Data::In(buf), t) {
            // A unit attention (door opened, power on) is worth one repeat for a query.
            Err(DeviceError::MediumChanged { .. }) => self.exec.run_ok(cdb, &mut Data::In(buf), t),
            other => other,
        }
    }

    fn transport_address(&self) -> u16 {
        self.addresses.map_or(0, |a| a.transport.0)
    }

    fn label(&self, address: ElementAddress, inventory: Option<&Inventory>) -> String {
        inventory
            .and_then(|i| i.at(address))
            .map_or_else(|| format!("element {address}"), |e| e.label())
    }
}

fn type_code(kind: ElementKind) -> ElementTypeCode {
    match kind {
        ElementKind::Transport => ElementTypeCode::Transport,
        ElementKind::Storage => ElementTypeCode::Storage,
        ElementKind::ImportExport => ElementTypeCode::ImportExport,
        ElementKind::Drive => ElementTypeCode::Drive,
    }
}

fn decode_error(e: page::DecodeError) -> DeviceError {
    DeviceError::io(
        e.to_string(),
        std::io::Error::from(std::io::ErrorKind::InvalidData),
    )
}

impl<T: ScsiTransport> MediaChanger for SgChanger<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn inventory(&mut self) -> Result<Inventory, DeviceError> {
        let mut all = Vec::new();
        for kind in [
            ElementKind::Transport,
            ElementKind::Storage,
            ElementKind::ImportExport,
            ElementKind::Drive,
        ] {
            let found = self.element_status(kind)?;
            if let Some(a) = self.addresses {
                let expected = usize::from(a.range(kind).1);
                if found.len() != expected {
                    return Err(DeviceError::Hardware(format!(
                        "{}: page 1Dh announces {expected} {kind:?} elements, READ ELEMENT STATUS reported {}",
                        self.name,
                        found.len()
                    )));
                }
            }
            all.extend(found);
        }
        Ok(Inventory::new(element::to_elements(&all)))
    }

    fn move_medium(
        &mut self,
        source: ElementAddress,
        destination: ElementAddress,
    ) -> Result<(), DeviceError> {
        if let Some(hook) = self.eject.get_mut(&source) {
            hook()?;
        }
        let cdb = smc::move_medium(self.transport_address(), source.0, destination.0, false);
        let t = self.options.timeouts.robot;
        match self.exec.run(&cdb, &mut Data::None, t, false)? {
            (Completion::Good, _) => Ok(()),
            (Completion::Check(sense), _) if sense.key == key::RECOVERED_ERROR => Ok(()),
            (Completion::Check(sense), _) => {
                let inventory = self.inventory().ok();
                let (src, dst) = (
                    self.label(source, inventory.as_ref()),
                    self.label(destination, inventory.as_ref()),
                );
                Err(match map::error(&sense) {
                    DeviceError::DestinationFull(_) => DeviceError::DestinationFull(dst),
                    DeviceError::SourceEmpty(_) => DeviceError::SourceEmpty(src),
                    DeviceError::NoSuchElement(m) => {
                        DeviceError::NoSuchElement(format!("{src} → {dst}: {m}"))
                    }
                    DeviceError::RemovalPrevented(m) => {
                        DeviceError::RemovalPrevented(format!("{src}: {m}"))
                    }
                    other => other,
                })
            }
        }
    }
}
