//! The first-run guide's choices: what kind of seller the desk is for. The choice picks
//! the template new broadcasts start from and whether the sample catalog (a farmers'
//! co-operative) stays; it is asked once, and the guide is never shown again.

use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::model::ProductId;
use crate::store::Store;

const DONE_KEY: &str = "first_run_done";
const KIND_KEY: &str = "seller_kind";

/// What kind of seller uses this desk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum SellerKind {
    /// A farmer or co-operative selling its own produce.
    Farmer,
    /// A county or township running a charity sale (助农直播).
    County,
    /// An MCN studio room with its own catalog.
    Mcn,
    /// A vocational-college course practising on the practice platform.
    Course,
}

impl SellerKind {
    /// The name of the broadcast template new broadcasts start from (`assets/templates/`).
    pub fn template(self) -> &'static str {
        match self {
            SellerKind::Farmer => "farmer",
            SellerKind::County => "county",
            SellerKind::Mcn => "mcn",
            SellerKind::Course => "course",
        }
    }

    /// Whether the farmers' co-operative sample catalog suits this kind of seller: an MCN
    /// room brings its own catalog, so the samples are removed for it.
    pub fn keeps_sample_catalog(self) -> bool {
        self != SellerKind::Mcn
    }

    fn parse(code: &str) -> Option<SellerKind> {
        [SellerKind::Farmer, SellerKind::County, SellerKind::Mcn, SellerKind::Course]
            .into_iter()
            .find(|kind| kind.template() == code)
    }
}

impl Store {
    /// True until the first-run guide was finished or skipped.
    pub fn first_run_pending(&self) -> Result<bool, StoreError> {
        Ok(self.setting(DONE_KEY)?.is_none())
    }

    /// The kind of seller chosen in the guide, if any.
    pub fn seller_kind(&self) -> Result<Option<SellerKind>, StoreError> {
        Ok(self.setting(KIND_KEY)?.as_deref().and_then(SellerKind::parse))
    }

    /// Ends the guide: records the choice (or none, when skipped) and, for a kind that
    /// does not use it, removes the sample catalog. Returns the removed products' ids, so
    /// the window can offer undo.
    pub fn finish_first_run(&mut self, kind: Option<SellerKind>) -> Result<Vec<ProductId>, StoreError> {
        let mut removed = Vec::new();
        if let Some(kind) = kind {
            self.set_setting(KIND_KEY, kind.template())?;
            if !kind.keeps_sample_catalog() {
                removed = self.sample_product_ids()?;
                self.delete_products(&removed)?;
            }
        }
        self.set_setting(DONE_KEY, "1")?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_is_asked_once_and_an_mcn_room_starts_without_the_samples() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        store.seed_sample_catalog_once().unwrap();
        assert!(store.first_run_pending().unwrap());
        let removed = store.finish_first_run(Some(SellerKind::Mcn)).unwrap();
        assert!(!removed.is_empty());
        assert!(store.sample_product_ids().unwrap().is_empty());
        assert!(!store.first_run_pending().unwrap());
        assert_eq!(store.seller_kind().unwrap(), Some(SellerKind::Mcn));
        drop(store);
        let store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        assert!(!store.first_run_pending().unwrap(), "never shown again");
        assert!(crate::templates::by_name(SellerKind::Mcn.template()).is_ok());
    }

    #[test]
    fn a_county_keeps_the_samples_and_skipping_records_no_kind() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        store.seed_sample_catalog_once().unwrap();
        assert!(store.finish_first_run(Some(SellerKind::County)).unwrap().is_empty());
        assert!(!store.sample_product_ids().unwrap().is_empty());
        let other = tempfile::tempdir().unwrap();
        let mut skipped = Store::open(&other.path().join("db.sqlite3")).unwrap();
        skipped.finish_first_run(None).unwrap();
        assert_eq!(skipped.seller_kind().unwrap(), None);
        assert!(!skipped.first_run_pending().unwrap());
        for kind in [SellerKind::Farmer, SellerKind::County, SellerKind::Mcn, SellerKind::Course] {
            assert!(crate::templates::by_name(kind.template()).is_ok(), "{kind:?}");
        }
    }
}
