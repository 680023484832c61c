//! Flows: the direction-free key (and its Community ID) and the bounded per-flow state.

mod community_id;
mod key;
mod shape;
mod table;

pub use community_id::{CommunityId, COMMUNITY_ID_LEN};
pub use key::{Endpoint, FlowKey};
pub use shape::{SegmentShape, MEDIA_SIZE, SILENCE_NS};
pub use table::{
    key_hash, seen, FlowState, FlowTable, Observation, PointId, Side, Sighting,
    DEFAULT_IDLE_TIMEOUT_NS, DEFAULT_MAX_FLOWS, MAX_SIGHTINGS_PER_SIDE, NO_IDLE_TIMEOUT,
};
