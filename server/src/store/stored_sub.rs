//! A subscription as the user document stores it (`StoredSub`: short
//! field names, defaults left out) and how it maps to and from the shared
//! `Subscription`. `users` holds the document, `root_subs` says which of its
//! root keys are subscriptions; both read this one shape.

use super::{StoreError, now_ms};
use redis_hack_shared::{
    Channels, Filters, QuietHours, Subscription, SubscriptionId, Target, TargetKey, TimeZoneName,
    Timestamp,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredSub {
    /// The target's key: `d:97`, `p:800001`, `t:cs101`.
    #[serde(rename = "t")]
    target: TargetKey,
    /// A district's name and its state's (districts only).
    #[serde(rename = "dn", default, skip_serializing_if = "Option::is_none")]
    district_name: Option<String>,
    #[serde(rename = "sn", default, skip_serializing_if = "Option::is_none")]
    state_name: Option<String>,
    // Defaults (no filters; email only) are left out: every byte of the
    // document is multiplied by the number of users (see BENCHMARKS.md).
    #[serde(rename = "f", default, skip_serializing_if = "is_default")]
    filters: Filters,
    #[serde(rename = "ch", default, skip_serializing_if = "is_default")]
    channels: Channels,
    /// Milliseconds since the epoch, so subscriptions list in the order they were made.
    #[serde(rename = "c")]
    created_ms: u64,
    /// The webhook's signing secret (`whsec_...`); the URL is in `channels`.
    #[serde(rename = "ws", default, skip_serializing_if = "Option::is_none")]
    webhook_secret: Option<String>,
    /// How its alerts behave (issue 12); every default is left out.
    #[serde(flatten)]
    alerting: StoredAlerting,
}

impl StoredSub {
    /// When it was made (ms), the order `list` shows subscriptions in.
    pub(super) fn created_ms(&self) -> u64 {
        self.created_ms
    }

    /// Its webhook's signing secret, if it has a webhook.
    pub(super) fn webhook_secret(&self) -> Option<&str> {
        self.webhook_secret.as_deref()
    }

    /// The shared `Subscription` this stores, under id `id`.
    pub(super) fn to_subscription(&self, id: &SubscriptionId) -> Subscription {
        let mut sub = Subscription::new(
            id.clone(),
            self.target(),
            self.filters.clone(),
            self.channels.clone(),
            Timestamp::from_ms(self.created_ms),
        );
        self.alerting.apply(&mut sub);
        sub
    }

    /// `sub` as stored, made now, with its webhook's secret.
    pub(super) fn new(sub: &Subscription, webhook_secret: Option<&str>) -> Self {
        let (district_name, state_name) = match &sub.target {
            Target::District {
                district_name,
                state_name,
                ..
            } => (Some(district_name.clone()), Some(state_name.clone())),
            Target::Pincode { .. } | Target::Topic { .. } => (None, None),
        };
        Self {
            target: sub.target.key(),
            district_name,
            state_name,
            filters: sub.filters.clone(),
            channels: sub.channels.clone(),
            created_ms: now_ms(),
            webhook_secret: webhook_secret.map(str::to_owned),
            alerting: StoredAlerting::of(sub),
        }
    }

    /// The JSON object stored, without `c`, which the script that adds it
    /// sets (creation times are unique per user); it always has `t`.
    pub(super) fn json_without_created(&self) -> Result<String, StoreError> {
        let encode = |source| StoreError::Encode {
            what: "a subscription",
            source,
        };
        let mut value = serde_json::to_value(self).map_err(encode)?;
        if let Some(fields) = value.as_object_mut() {
            fields.remove("c");
        }
        serde_json::to_string(&value).map_err(encode)
    }

    pub(super) fn target(&self) -> Target {
        let name = |n: &Option<String>| n.clone().unwrap_or_default();
        match &self.target {
            TargetKey::District(district_id) => Target::District {
                district_id: *district_id,
                district_name: name(&self.district_name),
                state_name: name(&self.state_name),
            },
            TargetKey::Pincode(pincode) => Target::Pincode {
                pincode: pincode.clone(),
            },
            TargetKey::Topic(topic) => Target::Topic {
                topic: topic.clone(),
            },
        }
    }
}

/// A subscription's alert behaviour as stored: one-shot and when it
/// disarmed (ms), follow-ups off, quiet hours and their zone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct StoredAlerting {
    #[serde(rename = "o", default, skip_serializing_if = "is_default")]
    once: bool,
    #[serde(rename = "da", default, skip_serializing_if = "Option::is_none")]
    disarmed_ms: Option<u64>,
    #[serde(rename = "nf", default, skip_serializing_if = "is_default")]
    no_followup: bool,
    #[serde(rename = "q", default, skip_serializing_if = "Option::is_none")]
    quiet: Option<QuietHours>,
    #[serde(rename = "z", default, skip_serializing_if = "Option::is_none")]
    tz: Option<TimeZoneName>,
}

impl StoredAlerting {
    fn of(sub: &Subscription) -> Self {
        Self {
            once: sub.once,
            disarmed_ms: sub.disarmed_at.map(Timestamp::as_ms),
            no_followup: !sub.followup,
            quiet: sub.quiet,
            tz: (!sub.tz.is_default()).then(|| sub.tz.clone()),
        }
    }

    /// Its flags in `{p}mode:{target}` (see `arming`); empty for the default.
    fn mode_flags(&self) -> String {
        let mut flags = String::new();
        if self.disarmed_ms.is_some() {
            flags.push('d');
        }
        if self.no_followup {
            flags.push('n');
        }
        flags
    }

    fn apply(&self, sub: &mut Subscription) {
        sub.once = self.once;
        sub.disarmed_at = self.disarmed_ms.map(Timestamp::from_ms);
        sub.armed = self.disarmed_ms.is_none();
        sub.followup = !self.no_followup;
        sub.quiet = self.quiet;
        sub.tz = self.tz.clone().unwrap_or_default();
    }
}

impl StoredSub {
    pub(super) fn filters(&self) -> &Filters {
        &self.filters
    }

    /// Its flags in `{p}mode:{TARGET}` (see `arming`); empty for the default.
    pub(super) fn mode_flags(&self) -> String {
        self.alerting.mode_flags()
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}
