//! [`PolicyChain`]: policies tried in order until one loads a medium or stops.

use super::{MediaPolicy, MediaRequest, PolicyContext, Stop, Supply};

/// Tries each policy in turn: the first that loads a medium or stops decides; if all decline,
/// the chain stops with their reasons.
#[derive(Default)]
pub struct PolicyChain {
    policies: Vec<Box<dyn MediaPolicy>>,
    name: String,
}

impl PolicyChain {
    /// An empty chain (which stops at once with "no policy").
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a policy.
    pub fn then(mut self, policy: impl MediaPolicy + 'static) -> Self {
        self.push(Box::new(policy));
        self
    }

    /// Appends a boxed policy.
    pub fn push(&mut self, policy: Box<dyn MediaPolicy>) {
        if !self.name.is_empty() {
            self.name.push_str(", then ");
        }
        self.name.push_str(policy.name());
        self.policies.push(policy);
    }

    /// Number of policies.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }
}

impl std::fmt::Debug for PolicyChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyChain")
            .field("policies", &self.name)
            .finish()
    }
}

impl MediaPolicy for PolicyChain {
    fn name(&self) -> &str {
        &self.name
    }

    fn supply(&mut self, request: &MediaRequest, cx: &mut PolicyContext<'_>) -> Supply {
        let mut reasons = Vec::new();
        for policy in &mut self.policies {
            match policy.supply(request, cx) {
                Supply::Declined(why) => reasons.push(format!("{}: {why}", policy.name())),
                decided => return decided,
            }
        }
        if reasons.is_empty() {
            reasons.push("no media policy is configured".to_owned());
        }
        Supply::Stop(Stop::NoMedium(reasons.join("; ")))
    }
}
