//! Pages of the lists (`tools/list`, `resources/list`, …): at most
//! [`PAGE_SIZE`] items, and a cursor to the next page. The cursor is the
//! offset of the next item; it means nothing to the client, which only
//! hands it back.

use rmcp::ErrorData as McpError;
use rmcp::model::PaginatedRequestParams;

/// The most items one page holds.
pub(crate) const PAGE_SIZE: usize = 100;

/// The page of `items` that `request`'s cursor points to, and the cursor
/// of the page after it, if any.
pub(crate) fn page<T>(
    mut items: Vec<T>,
    request: Option<&PaginatedRequestParams>,
) -> Result<(Vec<T>, Option<String>), McpError> {
    let start = match request.and_then(|r| r.cursor.as_deref()) {
        None => 0,
        Some(cursor) => cursor
            .parse::<usize>()
            .ok()
            .filter(|&start| start <= items.len())
            .ok_or_else(|| {
                McpError::invalid_params(
                    format!("invalid cursor {cursor:?}: pass back the nextCursor of a list"),
                    None,
                )
            })?,
    };
    let end = (start + PAGE_SIZE).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    items.truncate(end);
    Ok((items.split_off(start), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(cursor: &str) -> PaginatedRequestParams {
        let mut params = PaginatedRequestParams::default();
        params.cursor = Some(cursor.to_owned());
        params
    }

    #[test]
    fn pages_cover_every_item_once() {
        let items: Vec<usize> = (0..250).collect();
        let (first, next) = page(items.clone(), None).unwrap();
        assert_eq!((first.len(), next.as_deref()), (100, Some("100")));
        let (second, next) = page(items.clone(), Some(&params("100"))).unwrap();
        assert_eq!((second[0], next.as_deref()), (100, Some("200")));
        let (last, next) = page(items.clone(), Some(&params("200"))).unwrap();
        assert_eq!((last.len(), next), (50, None));
        assert!(page(items.clone(), Some(&params("251"))).is_err());
        assert!(page(items, Some(&params("abc"))).is_err());
        let (few, next) = page(vec![1, 2], None).unwrap();
        assert_eq!((few, next), (vec![1, 2], None));
    }
}
