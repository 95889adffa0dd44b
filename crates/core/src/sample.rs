//! The bundled sample catalog of a farmers' co-operative, seeded on first start.

use crate::model::ProductDraft;

const CATALOG_JSON: &str = include_str!("../../../assets/sample/catalog.json");

/// The sample products. The file is part of the build, so a parse failure is a build bug.
pub fn catalog() -> Vec<ProductDraft> {
    serde_json::from_str(CATALOG_JSON).expect("assets/sample/catalog.json is valid (checked by a test)")
}

#[cfg(test)]
mod tests {
    use crate::validate::ProductForm;

    #[test]
    fn sample_catalog_is_valid_and_varied() {
        let catalog = super::catalog();
        assert!(catalog.len() >= 4);
        for draft in &catalog {
            assert!(draft.sku.starts_with("SAMPLE-"), "{}", draft.sku);
            let reparsed = ProductForm::from_draft(draft).parse().expect("sample product passes validation");
            assert_eq!(&reparsed, draft);
        }
        let names: String = catalog.iter().map(|d| d.name.as_str()).collect();
        for needle in ["脐橙", "大米", "蜂蜜", "铁观音"] {
            assert!(names.contains(needle), "sample catalog lacks {needle}");
        }
        assert!(catalog.iter().any(|d| d.cold_chain), "one sample ships by cold chain");
    }
}
