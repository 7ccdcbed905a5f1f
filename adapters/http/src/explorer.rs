//! The API explorer: Swagger UI (bundled by poem-openapi, no CDN) showing our document.

use poem_openapi::OpenApiService;

/// The Swagger UI page with `spec_json` embedded.
///
/// poem-openapi keeps its page template private; its public `swagger_ui_html` embeds the
/// document of an `OpenApiService`, so we render the page for an empty API and put our
/// document in place of that one.
pub(crate) fn html(spec_json: &str) -> String {
    let placeholder = OpenApiService::new((), "", "");
    // `</script>` inside a description must not end the page's script element.
    let embedded = spec_json.replace("</", "<\\/");
    placeholder
        .swagger_ui_html()
        .replacen(&placeholder.spec(), &embedded, 1)
        // LoopBack's explorer page is titled so, and its clients' tests look for it.
        .replacen(
            "<title>Swagger UI</title>",
            "<title>LoopBack API Explorer</title>",
            1,
        )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_is_titled_as_loopbacks() {
        assert!(super::html("{}").contains("<title>LoopBack API Explorer</title>"));
    }

    #[test]
    fn the_page_embeds_our_document() {
        let page = super::html(r#"{"openapi":"3.0.0","info":{"title":"marker-title"}}"#);
        assert!(page.contains("marker-title"));
        assert!(page.contains("SwaggerUIBundle"));
        let escaped = super::html(r#"{"info":{"description":"</script>"}}"#);
        assert!(escaped.contains(r#""<\/script>""#));
    }
}
