// folio viewer-request CloudFront Function (runtime cloudfront-js-2.0).
//
// Runs on every request before the cache: keeps the cache key small and honest and
// refuses hopeless requests before they cost a Lambda@Edge invocation.
// - The query string keeps only the parameters the API reads, in sorted order, so
//   `?utm_source=x&limit=5` and `?limit=5` are one cache entry.
// - An Authorization header over 8 KB cannot hold a token folio accepts: 401 here.
// The same parameter list is in the template's cache policy and in
// shared/src/caching.rs; tests/template_test.py holds the three together.

var KNOWN_QUERY_PARAMS = ["status", "featured", "type", "category", "tag", "limit", "offset", "days", "months"];
var MAX_AUTHORIZATION_BYTES = 8192;

function refuse(statusCode, statusDescription, error, message, extraHeaders) {
    var headers = {
        "content-type": { value: "application/json" },
        "cache-control": { value: "no-store" }
    };
    for (var name in extraHeaders) {
        headers[name] = extraHeaders[name];
    }
    return {
        statusCode: statusCode,
        statusDescription: statusDescription,
        headers: headers,
        body: {
            encoding: "text",
            data: JSON.stringify({ error: error, message: message, statusCode: statusCode })
        }
    };
}

function handler(event) {
    var request = event.request;
    var authorization = request.headers["authorization"];
    if (authorization && authorization.value.length > MAX_AUTHORIZATION_BYTES) {
        return refuse(401, "Unauthorized", "Unauthorized", "The token is too large",
            { "www-authenticate": { value: 'Bearer error="invalid_token"' } });
    }
    var kept = {};
    var names = Object.keys(request.querystring).sort();
    for (var i = 0; i < names.length; i++) {
        if (KNOWN_QUERY_PARAMS.indexOf(names[i]) !== -1) {
            kept[names[i]] = request.querystring[names[i]];
        }
    }
    request.querystring = kept;
    return request;
}
