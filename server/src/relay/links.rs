//! Which instance the relay serves, and its live sessions: one with the
//! chosen instance, and one with each other instance a call was sent to
//! with the `dcclink_instance` argument. A session that broke, or whose
//! instance is no longer the chosen one, is replaced on the next request.

use std::collections::HashMap;
use std::sync::Arc;

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};

use super::ide::Ide;
use super::remote::Remote;
use super::upstream::Link;
use crate::instances::{self, Instance};

/// Which running instance the relay serves.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    /// The instance with this id (`dcclink list` shows them).
    pub instance: Option<String>,
    /// Else the only running instance of this DCC.
    pub dcc: Option<String>,
}

impl Choice {
    /// The instance chosen among `running`, or why there is none.
    pub(super) fn pick(&self, running: &[Instance]) -> Result<Instance, String> {
        instances::select(running, self.instance.as_deref(), self.dcc.as_deref())
            .map_err(|error| error.to_string())
    }
}

/// Which instance or instances a relay serves.
#[derive(Debug, Clone)]
pub enum Target {
    /// Those in this machine's registry; the choice says which.
    Registry(Choice),
    /// One on another machine.
    Remote(Remote),
}

/// The chosen instance, and the sessions open to instances.
pub(super) struct Links {
    /// The remote instance, when the relay serves one; else the registry
    /// lists the instances.
    fixed: Option<Instance>,
    /// The instance to relay to; `dcclink_status` with an `instance`
    /// argument changes it.
    choice: OrderedMutex<Choice>,
    ide: Arc<Ide>,
    current: OrderedMutex<Option<Arc<Link>>>,
    /// Sessions with other instances, by id.
    elsewhere: OrderedMutex<HashMap<String, Arc<Link>>>,
}

impl Links {
    /// No session yet; `target` says which instance to open one with.
    pub(super) fn new(target: Target, ide: Arc<Ide>) -> Result<Self, String> {
        let (choice, fixed) = match target {
            Target::Registry(choice) => (choice, None),
            Target::Remote(remote) => {
                let instance = remote.instance()?;
                let choice = Choice {
                    instance: Some(instance.id.clone()),
                    dcc: None,
                };
                (choice, Some(instance))
            }
        };
        Ok(Self {
            fixed,
            choice: OrderedMutex::new(LockLevel::Relay, choice),
            ide,
            current: OrderedMutex::new(LockLevel::Relay, None),
            elsewhere: OrderedMutex::new(LockLevel::Relay, HashMap::new()),
        })
    }

    /// The instances running now, or why the registry cannot be read.
    pub(super) fn running(&self) -> Result<Vec<Instance>, String> {
        match &self.fixed {
            Some(instance) => Ok(vec![instance.clone()]),
            None => instances::running().map_err(|error| error.to_string()),
        }
    }

    /// The running instance `id`, or why there is none.
    pub(super) fn find(&self, id: &str) -> Result<Instance, String> {
        instances::select(&self.running()?, Some(id), None).map_err(|error| error.to_string())
    }

    /// True when the relay can see its instances' processes (they run on
    /// this machine).
    pub(super) fn watches_processes(&self) -> bool {
        self.fixed.is_none()
    }

    /// The live link to the chosen instance: the current one, or a new
    /// one when there is none, it has closed, or another instance is now
    /// the chosen one.
    pub(super) async fn chosen(&self) -> Result<Arc<Link>, String> {
        let current = self.current.lock().clone();
        if let Some(link) = current.filter(|link| !link.is_closed()) {
            return Ok(link);
        }
        let instance = self.pick()?;
        let ide = &self.ide;
        let link = Link::open(instance, &ide.hello(), ide).await?;
        *self.current.lock() = Some(link.clone());
        Ok(link)
    }

    /// The live link to the instance `id`, or to the chosen one when `id`
    /// is `None`.
    pub(super) async fn to(&self, id: Option<&str>) -> Result<Arc<Link>, String> {
        let Some(id) = id else {
            return self.chosen().await;
        };
        let current = self.current.lock().clone();
        let known = self.elsewhere.lock().get(id).cloned();
        if let Some(link) = current
            .into_iter()
            .chain(known)
            .find(|link| link.instance.id == id && !link.is_closed())
        {
            return Ok(link);
        }
        let instance = self.find(id)?;
        let ide = &self.ide;
        let link = Link::open(instance, &ide.hello(), ide).await?;
        let mut elsewhere = self.elsewhere.lock();
        elsewhere.retain(|_, link| !link.is_closed());
        elsewhere.insert(id.to_owned(), link.clone());
        Ok(link)
    }

    /// The chosen instance among those running now, or why there is none.
    pub(super) fn pick(&self) -> Result<Instance, String> {
        self.pick_among(&self.running()?)
    }

    /// The chosen instance among `running`, or why there is none.
    pub(super) fn pick_among(&self, running: &[Instance]) -> Result<Instance, String> {
        let choice = self.choice.lock().clone();
        choice.pick(running)
    }

    /// Relays to the instance `id` from now on (the agent's explicit
    /// choice when several run).
    pub(super) fn choose(&self, id: &str) {
        *self.choice.lock() = Choice {
            instance: Some(id.to_owned()),
            dcc: None,
        };
        self.forget_current();
    }

    /// Drops the session with the chosen instance: the next request opens
    /// one with whichever instance is chosen then.
    pub(super) fn forget_current(&self) {
        *self.current.lock() = None;
    }

    /// The session with the chosen instance, if one is open.
    pub(super) fn current(&self) -> Option<Arc<Link>> {
        self.current.lock().clone()
    }

    /// Every open link: to the chosen instance and to the others.
    pub(super) fn open(&self) -> Vec<Arc<Link>> {
        let current = self.current.lock().clone();
        let elsewhere = self.elsewhere.lock();
        current
            .into_iter()
            .chain(elsewhere.values().cloned())
            .collect()
    }

    /// Forgets `link` (after it failed), so the next request reconnects.
    pub(super) fn drop_link(&self, link: &Arc<Link>) {
        link.lost.cancel();
        let mut current = self.current.lock();
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, link)) {
            *current = None;
        }
        drop(current);
        self.elsewhere
            .lock()
            .retain(|_, other| !Arc::ptr_eq(other, link));
    }
}
