import cf from 'cloudfront';

// folio viewer-request CloudFront Function (runtime cloudfront-js-2.0).
//
// Runs on every request before the cache: keeps the cache key small and honest and
// refuses hopeless requests before they cost a Lambda@Edge invocation.
// - The query string becomes exactly what the API will read: names and values
//   decoded as the origin decodes them (application/x-www-form-urlencoded), only the
//   parameters the API reads, the first value of a repeated name, sorted, encoded
//   again. `?%6fffset=1000` is `offset=1000`, `?limit=1&limit=100` is `limit=1`, so
//   two requests that get different answers never share a cache entry.
// - An Authorization header over 8 KB cannot hold a token folio accepts: 401 here.
// - With an origin in a second Region, a GET, HEAD or OPTIONS goes to an origin group
//   of the home origin and that one (cf.createRequestOriginGroup, "Helper methods
//   for origin modification"): CloudFront fails those over, and only those, on the
//   failover statuses, a refused connection or a timeout. Writes stay with the
//   behaviour's origin, the home Region's, except a tracking beacon the tracking
//   script sends again with ?failover after the home Region failed it: that one goes
//   to the other Region's origin (cf.selectRequestOriginById, same page), where it
//   is counted once however often it arrives. The values are
//   folio_shared::policy::FAILOVER (tests/template_test.py holds them equal); the
//   template fills in the origin id.
// Its Rust twin is folio_shared::policy::normalise_query; both run the cases of
// tests/fixtures/query_normalisation.json, and tests/template_test.py holds the
// parameter list equal to the Rust one and to the cache policy.

var KNOWN_QUERY_PARAMS = ["status", "featured", "type", "category", "tag", "limit", "offset", "days", "months", "q"];
var MAX_AUTHORIZATION_BYTES = 8192;
// "" when the distribution has one origin (template.yaml: !Sub, HasFailoverOrigin).
var FAILOVER_ORIGIN_ID = "${FailoverOriginId}";
var HOME_ORIGIN_ID = "origin";
var FAILOVER_METHODS = ["GET", "HEAD", "OPTIONS"];
var FAILOVER_STATUS_CODES = [500, 502, 503, 504];
var FAILOVER_RETRY_QUERY = "failover";
var FAILOVER_RETRY_PATHS = ["/v1/visitors/track", "/v1/analytics/track", "/v1/analytics/engagement"];

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

// '+' is a space; valid %XX sequences are bytes; anything else stays literal.
// Returns null when the bytes are not UTF-8 (the parameter is then dropped).
function decodeComponent(text) {
    var parts = text.replace(/\+/g, " ").split(/(%[0-9A-Fa-f]{2})/);
    var encoded = "";
    for (var i = 0; i < parts.length; i++) {
        encoded += i % 2 === 1 ? parts[i] : encodeURIComponent(parts[i]);
    }
    try {
        return decodeURIComponent(encoded);
    } catch (e) {
        return null;
    }
}

// application/x-www-form-urlencoded: alphanumerics and *-._ stay, space is '+'.
function encodeComponent(text) {
    return encodeURIComponent(text)
        .replace(/[!'()~]/g, function (c) {
            return "%" + c.charCodeAt(0).toString(16).toUpperCase();
        })
        .replace(/%20/g, "+");
}

function normaliseQuery(querystring) {
    var first = {};
    var names = Object.keys(querystring);
    for (var i = 0; i < names.length; i++) {
        var name = decodeComponent(names[i]);
        var entry = querystring[names[i]];
        var raw = entry.multiValue && entry.multiValue.length ? entry.multiValue[0].value : entry.value;
        var value = decodeComponent(raw === undefined ? "" : raw);
        if (name === null || value === null || KNOWN_QUERY_PARAMS.indexOf(name) === -1) {
            continue;
        }
        if (!(name in first)) {
            first[name] = value;
        }
    }
    var kept = {};
    var sorted = Object.keys(first).sort();
    for (var j = 0; j < sorted.length; j++) {
        kept[encodeComponent(sorted[j])] = { value: encodeComponent(first[sorted[j]]) };
    }
    return kept;
}

function handler(event) {
    var request = event.request;
    var authorization = request.headers["authorization"];
    if (authorization && authorization.value.length > MAX_AUTHORIZATION_BYTES) {
        return refuse(401, "Unauthorized", "Unauthorized", "The authentication token is invalid or expired",
            { "www-authenticate": { value: 'Bearer error="invalid_token"' } });
    }
    // Read before normalising, which drops the parameter: the origin never sees it.
    var retry = request.method === "POST" && FAILOVER_RETRY_PATHS.indexOf(request.uri) !== -1 &&
        Object.prototype.hasOwnProperty.call(request.querystring, FAILOVER_RETRY_QUERY);
    request.querystring = normaliseQuery(request.querystring);
    if (FAILOVER_ORIGIN_ID === "") {
        return request;
    }
    if (FAILOVER_METHODS.indexOf(request.method) !== -1) {
        cf.createRequestOriginGroup({
            originIds: [{ originId: HOME_ORIGIN_ID }, { originId: FAILOVER_ORIGIN_ID }],
            failoverCriteria: { statusCodes: FAILOVER_STATUS_CODES }
        });
    } else if (retry) {
        cf.selectRequestOriginById(FAILOVER_ORIGIN_ID);
    }
    return request;
}
