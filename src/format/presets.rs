//! Gateway presets: the access-log formats of the gateways people run, each with a
//! name, the line its documentation shows, and how to build its parser from the
//! general ones (the nginx `log_format` compiler, Apache `LogFormat` translation,
//! JSON lines with key paths, logfmt).
//!
//! Example lines: this code was written without network access, so each example is
//! a line in the shape the cited documentation shows (same fields, same order, same
//! quoting), not a byte-for-byte copy unless said so. `errscope presets` prints them.
//!
//! A preset's field sources can be changed with `--field`: a `--field` for a key
//! replaces the preset's sources for that key and leaves the others.

use super::{apache, json, logfmt, nginx, FieldKey, FieldOverride, Fields, LogFormat, Malformed};
use crate::error::{Error, Result};

/// One gateway's access-log format.
#[derive(Debug)]
pub struct Preset {
    /// What `--preset` takes and the report shows.
    pub name: &'static str,
    /// Other names `--preset` accepts.
    pub aliases: &'static [&'static str],
    /// One line: which gateway, which of its formats, where the error name comes from.
    pub description: &'static str,
    /// The gateway's own definition of the format (`log_format`, `LogFormat`, Envoy
    /// format string) or, for JSON, the key paths read.
    pub definition: &'static str,
    /// A line in the documented shape.
    pub example: &'static str,
    /// Where the format is documented.
    pub source: &'static str,
    spec: Spec,
}

/// How a preset's parser is built.
#[derive(Debug)]
enum Spec {
    /// One of [`nginx::PRESETS`], by name.
    NginxPreset(&'static str),
    /// An nginx-style format string with the overrides it needs.
    Nginx {
        format: &'static str,
        fields: &'static [&'static str],
    },
    /// An Apache `LogFormat` string.
    Apache(&'static str),
    /// JSON lines: `--field`-style sources, and keys whose presence marks this
    /// gateway's lines (for `--format auto`).
    Json {
        fields: &'static [&'static str],
        markers: &'static [&'static str],
        /// `(object, header)`: the error name is also looked for as the first
        /// element of an array value, `"object":{..."header":["NAME"]...}`.
        header_array: Option<(&'static str, &'static str)>,
    },
    Logfmt,
    /// HAProxy's `option httplog` ([`super::haproxy`]).
    Haproxy,
}

/// Every preset, in the order `errscope presets` lists them.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "gateway",
        aliases: &["nginx-gateway"],
        description: "nginx: combined + $request_time and the upstream's X-Error-Code header \
                      (the platform's own format; also read with escape=json)",
        definition: r#"log_format gateway '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time "$upstream_http_x_error_code"';"#,
        example: r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /v3/async/txt2img HTTP/1.1" 403 98 "-" "python-requests/2.31" 0.012 "INVALID_API_KEY""#,
        source: "https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format",
        spec: Spec::NginxPreset("gateway"),
    },
    Preset {
        name: "combined",
        aliases: &["nginx-combined", "apache-combined"],
        description: "nginx's predefined combined format, which is Apache's combined \
                      LogFormat too (no latency, no error name)",
        definition: r#"log_format combined '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';  (Apache: LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"" combined)"#,
        // The example of https://httpd.apache.org/docs/current/logs.html#combined.
        example: r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
        source: "https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format and \
                 https://httpd.apache.org/docs/current/logs.html#combined",
        spec: Spec::NginxPreset("combined"),
    },
    Preset {
        name: "common",
        aliases: &["apache-common", "clf"],
        description: "Apache httpd's common log format (NCSA CLF: no latency, no error name)",
        definition: r#"LogFormat "%h %l %u %t \"%r\" %>s %b" common"#,
        // The example of https://httpd.apache.org/docs/current/logs.html#common.
        example: r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
        source: "https://httpd.apache.org/docs/current/logs.html#common",
        spec: Spec::Apache(r#"%h %l %u %t "%r" %>s %b"#),
    },
    Preset {
        name: "nginx-json",
        aliases: &[],
        description: "nginx JSON lines written with log_format escape=json (name from \
                      upstream_http_x_error_code)",
        definition: r#"log_format json escape=json '{"time_local":"$time_local","remote_addr":"$remote_addr","request":"$request","status":$status,"body_bytes_sent":$body_bytes_sent,"request_time":$request_time,"http_referer":"$http_referer","http_user_agent":"$http_user_agent","upstream_http_x_error_code":"$upstream_http_x_error_code"}';"#,
        example: r#"{"time_local":"27/Nov/2026:10:00:00 +0800","remote_addr":"203.0.113.7","request":"GET /v3/openai/models HTTP/1.1","status":200,"body_bytes_sent":1024,"request_time":0.003,"http_referer":"","http_user_agent":"curl/8.5.0","upstream_http_x_error_code":""}"#,
        source: "https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format (escape=json)",
        spec: Spec::Json {
            fields: &[
                "name=upstream_http_x_error_code",
                "name=sent_http_x_error_code",
                "name=error_code",
            ],
            markers: &["time_local", "body_bytes_sent", "http_user_agent"],
            header_array: None,
        },
    },
    Preset {
        name: "envoy",
        aliases: &["envoy-text"],
        description: "Envoy's default text access-log format (DURATION in ms; the default \
                      logs no error name)",
        definition: r#"[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%""#,
        // The example line of the page below.
        example: r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80""#,
        source: "https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#default-format-string",
        spec: Spec::Nginx {
            format: ENVOY_TEXT,
            fields: &["latency=duration:ms", "time=start_time:iso8601"],
        },
    },
    Preset {
        name: "envoy-json",
        aliases: &[],
        description: "Envoy json_format with the default format's operators as keys \
                      (response_code, duration in ms; name from x_error_code or error_code)",
        definition: r#"json_format: {start_time: "%START_TIME%", method: "%REQ(:METHOD)%", path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", protocol: "%PROTOCOL%", response_code: "%RESPONSE_CODE%", response_flags: "%RESPONSE_FLAGS%", bytes_received: "%BYTES_RECEIVED%", bytes_sent: "%BYTES_SENT%", duration: "%DURATION%", upstream_service_time: "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%", x_forwarded_for: "%REQ(X-FORWARDED-FOR)%", user_agent: "%REQ(USER-AGENT)%", request_id: "%REQ(X-REQUEST-ID)%", authority: "%REQ(:AUTHORITY)%", upstream_host: "%UPSTREAM_HOST%", x_error_code: "%RESP(X-ERROR-CODE)%"}"#,
        example: r#"{"start_time":"2016-04-15T20:17:00.310Z","method":"POST","path":"/api/v1/locations","protocol":"HTTP/2","response_code":204,"response_flags":"-","bytes_received":154,"bytes_sent":0,"duration":226,"upstream_service_time":"100","x_forwarded_for":"10.0.35.28","user_agent":"nsq2http","request_id":"cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2","authority":"locations","upstream_host":"tcp://10.0.2.1:80","x_error_code":null}"#,
        source: "https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#format-dictionaries",
        spec: Spec::Json {
            fields: &[
                "status=response_code",
                "path=path",
                "latency=duration:ms",
                "time=start_time",
                "name=x_error_code",
                "name=error_code",
            ],
            markers: &["response_code", "response_flags", "upstream_host"],
            header_array: None,
        },
    },
    Preset {
        name: "envoy-gateway",
        aliases: &[],
        description: "Envoy Gateway's default JSON access log (response_code, \
                      x-envoy-origin-path, duration in ms; logs no error name unless a \
                      x-error-code key is added)",
        definition: r#"{"start_time":"%START_TIME%","method":"%REQ(:METHOD)%","x-envoy-origin-path":"%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%","protocol":"%PROTOCOL%","response_code":"%RESPONSE_CODE%","response_flags":"%RESPONSE_FLAGS%","response_code_details":"%RESPONSE_CODE_DETAILS%","connection_termination_details":"%CONNECTION_TERMINATION_DETAILS%","upstream_transport_failure_reason":"%UPSTREAM_TRANSPORT_FAILURE_REASON%","bytes_received":"%BYTES_RECEIVED%","bytes_sent":"%BYTES_SENT%","duration":"%DURATION%","x-envoy-upstream-service-time":"%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%","x-forwarded-for":"%REQ(X-FORWARDED-FOR)%","user-agent":"%REQ(USER-AGENT)%","x-request-id":"%REQ(X-REQUEST-ID)%",":authority":"%REQ(:AUTHORITY)%","upstream_host":"%UPSTREAM_HOST%","upstream_cluster":"%UPSTREAM_CLUSTER%","upstream_local_address":"%UPSTREAM_LOCAL_ADDRESS%","downstream_local_address":"%DOWNSTREAM_LOCAL_ADDRESS%","downstream_remote_address":"%DOWNSTREAM_REMOTE_ADDRESS%","requested_server_name":"%REQUESTED_SERVER_NAME%","route_name":"%ROUTE_NAME%"}"#,
        // A line in the default format's shape, keys sorted as Envoy writes them.
        example: r#"{":authority":"www.example.com","bytes_received":0,"bytes_sent":4,"connection_termination_details":null,"downstream_local_address":"10.244.0.12:10080","downstream_remote_address":"172.18.0.1:46218","duration":1,"method":"GET","protocol":"HTTP/1.1","requested_server_name":null,"response_code":200,"response_code_details":"via_upstream","response_flags":"-","route_name":"httproute/default/backend/rule/0/match/0/www_example_com","start_time":"2025-12-31T16:37:40.491Z","upstream_cluster":"httproute/default/backend/rule/0","upstream_host":"10.244.0.11:3000","upstream_local_address":"10.244.0.12:36940","upstream_transport_failure_reason":null,"user-agent":"curl/8.5.0","x-envoy-origin-path":"/get","x-envoy-upstream-service-time":null,"x-forwarded-for":"172.18.0.1","x-request-id":"5d2c5f0c-0e8b-4a4c-9d2c-6a1b8b8b9f0e"}"#,
        source: "https://gateway.envoyproxy.io/docs/tasks/observability/proxy-observability/#logs",
        spec: Spec::Json {
            fields: &[
                "status=response_code",
                "path=x-envoy-origin-path",
                "latency=duration:ms",
                "time=start_time",
                "name=x-error-code",
                "name=x_error_code",
            ],
            markers: &["x-envoy-origin-path", "upstream_cluster", "route_name"],
            header_array: None,
        },
    },
    Preset {
        name: "istio",
        aliases: &[],
        description: "Istio's default text access log (Envoy's default plus response code \
                      details and cluster fields; DURATION in ms; logs no error name)",
        definition: r#"[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%"#,
        // The example of the page below.
        example: r#"[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default"#,
        source: "https://istio.io/latest/docs/tasks/observability/logs/access-log/#default-access-log-format",
        spec: Spec::Nginx {
            format: ISTIO_TEXT,
            fields: &["latency=duration:ms", "time=start_time:iso8601"],
        },
    },
    Preset {
        name: "kong",
        aliases: &[],
        description: "Kong file-log / http-log JSON (status under response.status, name from \
                      response.headers.x-error-code)",
        definition: "status=response.status path=request.uri latency=latencies.request:ms \
                     time=started_at:epoch_ms name=response.headers.x-error-code",
        example: r#"{"request":{"method":"GET","uri":"/get","url":"http://httpbin.org:8000/get","size":"75","querystring":{},"headers":{"accept":"*/*","host":"httpbin.org","user-agent":"curl/7.37.1"}},"upstream_uri":"/","response":{"status":200,"size":"434","headers":{"Content-Length":"197","via":"kong/0.3.0","Connection":"close","access-control-allow-credentials":"true","Content-Type":"application/json","server":"nginx","access-control-allow-origin":"*"}},"tries":[{"state":"next","code":502,"ip":"127.0.0.1","port":8000},{"ip":"127.0.0.1","port":8000}],"authenticated_entity":{"consumer_id":"80f74eef-31b8-45d5-c525-ae532297ea8e","id":"eaa330c0-4cff-47f5-c79e-b2e4f355207e"},"latencies":{"proxy":1430,"kong":9,"request":1921},"client_ip":"127.0.0.1","started_at":1433209822425}"#,
        source: "https://docs.konghq.com/hub/kong-inc/file-log/ (Log format)",
        spec: Spec::Json {
            fields: &[
                "status=response.status",
                "path=request.uri",
                "latency=latencies.request:ms",
                "time=started_at:epoch_ms",
                "name=response.headers.x-error-code",
                "name=response.headers.X-Error-Code",
            ],
            markers: &["latencies", "started_at", "upstream_uri"],
            header_array: None,
        },
    },
    Preset {
        name: "ingress-nginx",
        aliases: &["upstreaminfo"],
        description: "Kubernetes ingress-nginx's default upstreaminfo log format \
                      ($request_time in s; logs no error name)",
        definition: r#"log_format upstreaminfo '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id';"#,
        // A line in the documented shape.
        example: r#"192.168.65.3 - - [22/Apr/2024:10:30:45 +0000] "GET /healthz HTTP/1.1" 200 615 "-" "curl/8.4.0" 73 0.001 [default-web-80] [] 10.1.0.10:80 615 0.001 200 8f3b8f2e2b5c4f0e9a7d6c5b4a3f2e1d"#,
        source: "https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/log-format/",
        spec: Spec::Nginx {
            format: INGRESS_NGINX,
            fields: &[],
        },
    },
    Preset {
        name: "apisix-text",
        aliases: &[],
        description: "Apache APISIX's default text access log (nginx_config.http.\
                      access_log_format; $request_time in s; logs no error name)",
        definition: r#"access_log_format: '$remote_addr - $remote_user [$time_local] $http_host "$request" $status $body_bytes_sent $request_time "$http_referer" "$http_user_agent" $upstream_addr $upstream_status $upstream_response_time "$upstream_scheme://$upstream_host$upstream_uri"'"#,
        // A line in the documented shape.
        example: r#"127.0.0.1 - - [30/Dec/2023:03:38:05 +0000] 127.0.0.1:9080 "GET /hello HTTP/1.1" 200 12 0.002 "-" "curl/7.81.0" 127.0.0.1:1980 200 0.001 "http://127.0.0.1:1980/hello""#,
        source: "https://github.com/apache/apisix/blob/master/conf/config.yaml.example \
                 (nginx_config.http.access_log_format)",
        spec: Spec::Nginx {
            format: APISIX_TEXT,
            fields: &[],
        },
    },
    Preset {
        name: "apisix",
        aliases: &[],
        description: "Apache APISIX file-logger / http-logger JSON (latency in ms; name from \
                      response.headers.x-error-code, or the body with include_resp_body)",
        definition: "status=response.status path=request.uri latency=latency:ms \
                     time=start_time:epoch_ms name=response.headers.x-error-code body=response.body",
        example: r#"{"server":{"hostname":"localhost","version":"3.7.0"},"client_ip":"127.0.0.1","upstream":"127.0.0.1:1980","apisix_latency":100.99999809265,"start_time":1703907485819,"latency":101.99999809265,"upstream_latency":1,"route_id":"1","service_id":"","request":{"url":"http://127.0.0.1:1984/hello","headers":{"host":"127.0.0.1:1984","user-agent":"curl/7.81.0","accept":"*/*"},"querystring":{},"uri":"/hello","size":103,"method":"GET"},"response":{"headers":{"content-type":"text/plain","server":"APISIX/3.7.0","content-length":"12","connection":"close"},"status":200,"size":236}}"#,
        source: "https://apisix.apache.org/docs/apisix/plugins/file-logger/",
        spec: Spec::Json {
            fields: &[
                "status=response.status",
                "path=request.uri",
                "latency=latency:ms",
                "time=start_time:epoch_ms",
                "name=response.headers.x-error-code",
                "body=response.body",
            ],
            markers: &["apisix_latency", "start_time", "upstream_latency"],
            header_array: None,
        },
    },
    Preset {
        name: "traefik",
        aliases: &[],
        description: "Traefik JSON access log (Duration in ns; name from the kept header \
                      downstream_X-Error-Code)",
        definition: "status=DownstreamStatus path=RequestPath latency=Duration:ns time=StartUTC \
                     name=downstream_X-Error-Code (accessLog.fields.headers.names.X-Error-Code=keep)",
        example: r#"{"ClientAddr":"192.0.2.10:53364","ClientHost":"192.0.2.10","ClientPort":"53364","ClientUsername":"-","DownstreamContentSize":19,"DownstreamStatus":200,"Duration":1254400,"OriginContentSize":19,"OriginDuration":1100200,"OriginStatus":200,"Overhead":154200,"RequestAddr":"api.example.com","RequestContentSize":0,"RequestCount":1,"RequestHost":"api.example.com","RequestMethod":"GET","RequestPath":"/v3/openai/models","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"https","RetryAttempts":0,"RouterName":"api@docker","ServiceAddr":"10.0.3.5:8080","ServiceName":"api@docker","ServiceURL":"http://10.0.3.5:8080","StartLocal":"2026-11-27T10:00:00.123456789+08:00","StartUTC":"2026-11-27T02:00:00.123456789Z","entryPointName":"websecure","level":"info","msg":"","time":"2026-11-27T10:00:00+08:00"}"#,
        source: "https://doc.traefik.io/traefik/observability/access-logs/",
        spec: Spec::Json {
            fields: &[
                "status=DownstreamStatus",
                "path=RequestPath",
                "latency=Duration:ns",
                "time=StartUTC",
                "name=downstream_X-Error-Code",
                "name=origin_X-Error-Code",
            ],
            markers: &["DownstreamStatus", "RequestPath", "RouterName"],
            header_array: None,
        },
    },
    Preset {
        name: "traefik-clf",
        aliases: &["traefik-common"],
        description: "Traefik's default access log: CLF + request count, router, server URL \
                      and duration in ms (logs no error name)",
        definition: r#"<remote_IP_address> - <client_user_name_if_available> [<timestamp>] "<request_method> <request_path> <request_protocol>" <HTTP_status> <content-length> "<request_referrer>" "<request_user_agent>" <number_of_requests_received_since_Traefik_started> "<Traefik_router_name>" "<Traefik_server_URL>" <request_duration_in_ms>ms"#,
        // The "full log" line of Traefik's own parser test
        // (traefik/traefik pkg/middlewares/accesslog/parser_test.go, MIT).
        example: r#"TestHost - TestUser [13/Apr/2016:07:14:19 -0700] "POST testpath HTTP/0.0" 123 12 "testReferer" "testUserAgent" 1 "testRouter" "http://127.0.0.1/testService" 1ms"#,
        source: "https://doc.traefik.io/traefik/observability/access-logs/#format",
        spec: Spec::Nginx {
            format: TRAEFIK_CLF,
            fields: &["latency=duration:ms"],
        },
    },
    Preset {
        name: "caddy",
        aliases: &[],
        description: "Caddy JSON access log (duration in s, ts in epoch s; name from \
                      resp_headers.X-Error-Code, logged as an array)",
        definition: "status=status path=request.uri latency=duration:s time=ts:epoch_s \
                     name=resp_headers.X-Error-Code[0]",
        example: r#"{"level":"info","ts":1646861401.5241024,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"41342","client_ip":"127.0.0.1","proto":"HTTP/2.0","method":"GET","host":"localhost","uri":"/","headers":{"User-Agent":["curl/7.82.0"],"Accept":["*/*"],"Accept-Encoding":["gzip, deflate, br"]},"tls":{"resumed":false,"version":772,"cipher_suite":4865,"proto":"h2","server_name":"example.com"}},"bytes_read":0,"user_id":"","duration":0.000929675,"size":10900,"status":200,"resp_headers":{"Server":["Caddy"],"Content-Encoding":["gzip"],"Content-Type":["text/html; charset=utf-8"],"Vary":["Accept-Encoding"]}}"#,
        source: "https://caddyserver.com/docs/logging",
        spec: Spec::Json {
            fields: &[
                "status=status",
                "path=request.uri",
                "latency=duration:s",
                "time=ts:epoch_s",
                "name=resp_headers.X-Error-Code",
            ],
            markers: &["resp_headers", "http.log.access", "bytes_read"],
            header_array: Some(("resp_headers", "X-Error-Code")),
        },
    },
    Preset {
        name: "aws-apigw",
        aliases: &["aws", "apigateway"],
        description: "AWS API Gateway access log, $context fields as JSON (responseLatency in \
                      ms; name from an error_code key: API Gateway's own \
                      $context.error.responseType is not a catalog name)",
        definition: r#"{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp", "caller":"$context.identity.caller", "user":"$context.identity.user", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", "status":"$context.status", "protocol":"$context.protocol", "responseLength":"$context.responseLength" } (+ "path":"$context.path", "responseLatency":"$context.responseLatency")"#,
        example: r#"{ "requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "ip": "192.0.2.10", "caller":"-", "user":"-","requestTime":"27/Nov/2026:02:00:00 +0000", "httpMethod":"GET","resourcePath":"/v3/openai/models", "status":"200","protocol":"HTTP/1.1", "responseLength":"1024" }"#,
        source: "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html",
        spec: Spec::Json {
            fields: &[
                "path=path",
                "path=resourcePath",
                "latency=responseLatency:ms",
                "time=requestTimeEpoch:epoch_ms",
                "time=requestTime",
            ],
            markers: &["requestId", "requestTime", "httpMethod"],
            header_array: None,
        },
    },
    Preset {
        name: "haproxy",
        aliases: &["haproxy-httplog"],
        description: "HAProxy option httplog (Ta in ms as latency, -1 none; status -1: no \
                      response; name from a captured response header X-Error-Code)",
        definition: r#"log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"  (capture response header X-Error-Code len 64)"#,
        // The httplog example of the manual below, without its syslog header.
        example: r#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#,
        source: "https://docs.haproxy.org/2.8/configuration.html#8.2.3",
        spec: Spec::Haproxy,
    },
    Preset {
        name: "aws-alb",
        aliases: &["alb"],
        description: "AWS Application Load Balancer access log (elb_status_code is the \
                      status, target_processing_time the latency, -1 none; logs no error name)",
        definition: "type time elb client:port target:port request_processing_time \
                     target_processing_time response_processing_time elb_status_code \
                     target_status_code received_bytes sent_bytes \"request\" \"user_agent\" \
                     ssl_cipher ssl_protocol target_group_arn \"trace_id\" ... (later fields not read)",
        // The HTTP entry of the page below.
        example: r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#,
        source: "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html",
        spec: Spec::Nginx {
            format: AWS_ALB,
            fields: &["latency=target_processing_time:s", "time=time_iso8601"],
        },
    },
    Preset {
        name: "aws-elb",
        aliases: &["elb"],
        description: "AWS Classic Load Balancer access log (elb_status_code is the status, \
                      backend_processing_time the latency, -1 none; `-` status of a TCP \
                      listener: no response; logs no error name)",
        definition: "timestamp elb client:port backend:port request_processing_time \
                     backend_processing_time response_processing_time elb_status_code \
                     backend_status_code received_bytes sent_bytes \"request\" \"user_agent\" \
                     ssl_cipher ssl_protocol",
        // The HTTP entry of the page below.
        example: r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#,
        source: "https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html",
        spec: Spec::Nginx {
            format: AWS_ELB,
            fields: &["latency=backend_processing_time:s", "time=time_iso8601"],
        },
    },
    Preset {
        name: "logfmt",
        aliases: &[],
        description: "logfmt key=value lines, read with the JSON-lines default keys \
                      (status, error_code/reason/code, uri/path/request, request_time, time/ts)",
        definition: "key=value key2=\"quoted \\\" value\" bare_key",
        // Heroku's router line, the classic logfmt example.
        example: r#"at=info method=GET path=/ host=mutelight.org fwd="124.133.52.161" dyno=web.2 connect=4ms service=8ms status=200 bytes=1653"#,
        source: "https://brandur.org/logfmt",
        spec: Spec::Logfmt,
    },
];

/// Envoy's default format, as an nginx-style format the nginx compiler reads. The
/// request line (`%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%`)
/// is `$request`.
pub const ENVOY_TEXT: &str = r#"[$start_time] "$request" $status $response_flags $bytes_received $bytes_sent $duration $upstream_service_time "$x_forwarded_for" "$user_agent" "$request_id" "$authority" "$upstream_host""#;

/// ingress-nginx's `upstreaminfo`.
pub const INGRESS_NGINX: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#;

/// APISIX's default `access_log_format`; its last field (the upstream URL, three
/// variables in a row) is one variable here, since it is not read.
pub const APISIX_TEXT: &str = r#"$remote_addr - $remote_user [$time_local] $http_host "$request" $status $body_bytes_sent $request_time "$http_referer" "$http_user_agent" $upstream_addr $upstream_status $upstream_response_time "$upstream_url""#;

/// Istio's default text format (`TEXT_FORMAT`), as an nginx-style format.
pub const ISTIO_TEXT: &str = r#"[$start_time] "$request" $status $response_flags $response_code_details $connection_termination_details "$upstream_transport_failure_reason" $bytes_received $bytes_sent $duration $upstream_service_time "$x_forwarded_for" "$user_agent" "$request_id" "$authority" "$upstream_host" $upstream_cluster $upstream_local_address $downstream_local_address $downstream_remote_address $requested_server_name $route_name"#;

/// Traefik's CLF access log (`CommonLogFormatter` in Traefik's
/// `pkg/middlewares/accesslog/logger_formatters.go`) as an nginx-style format.
/// Traefik writes `"-"` for a missing router or server URL.
pub const TRAEFIK_CLF: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $requests "$router_name" "$server_url" ${duration}ms"#;

/// The AWS Application Load Balancer's entry, up to the fields errscope reads
/// (AWS adds fields at the end over time; a parser reads past them).
pub const AWS_ALB: &str = r#"$type $time_iso8601 $elb $client $target $request_processing_time $target_processing_time $response_processing_time $status $target_status_code $received_bytes $sent_bytes "$request" "$user_agent""#;

/// The AWS Classic Load Balancer's entry.
pub const AWS_ELB: &str = r#"$time_iso8601 $elb $client $backend $request_processing_time $backend_processing_time $response_processing_time $status $backend_status_code $received_bytes $sent_bytes "$request" "$user_agent" $ssl_cipher $ssl_protocol"#;

/// The preset called `name` (or one of its aliases).
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS
        .iter()
        .find(|p| p.name == name || p.aliases.contains(&name))
}

/// The preset called `name`, or a usage error listing the presets.
pub fn lookup(name: &str) -> Result<&'static Preset> {
    find(name).ok_or_else(|| {
        Error::Usage(format!(
            "unknown preset {name:?}; presets: {} (see `errscope presets`)",
            PRESETS
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// The family of parser a preset builds, to check it against `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// nginx-style text: nginx, Apache, Envoy text.
    Text,
    /// Text read by a parser of its own, no nginx-style format (HAProxy).
    OwnText,
    /// JSON lines.
    Json,
    /// logfmt.
    Logfmt,
}

impl Preset {
    /// Which family of parser the preset builds.
    pub fn family(&self) -> Family {
        match self.spec {
            Spec::NginxPreset(_) | Spec::Nginx { .. } | Spec::Apache(_) => Family::Text,
            Spec::Json { .. } => Family::Json,
            Spec::Logfmt => Family::Logfmt,
            Spec::Haproxy => Family::OwnText,
        }
    }

    /// The nginx-style format string of a text preset.
    pub fn text_format(&self) -> Option<String> {
        match &self.spec {
            Spec::NginxPreset(name) => nginx::preset(name).map(str::to_string),
            Spec::Nginx { format, .. } => Some((*format).to_string()),
            Spec::Apache(f) => apache::translate(f).ok().map(|t| t.format),
            Spec::Json { .. } | Spec::Logfmt | Spec::Haproxy => None,
        }
    }

    /// Keys whose presence in a JSON line marks it as this gateway's.
    pub fn markers(&self) -> &'static [&'static str] {
        match self.spec {
            Spec::Json { markers, .. } => markers,
            _ => &[],
        }
    }

    /// The preset's own field sources (`--field` syntax).
    fn preset_fields(&self) -> Vec<FieldOverride> {
        let specs: &[&str] = match self.spec {
            Spec::Nginx { fields, .. } | Spec::Json { fields, .. } => fields,
            _ => &[],
        };
        specs
            .iter()
            .map(|s| FieldOverride::parse(s).expect("preset field specs are valid"))
            .collect()
    }

    /// Build the parser, `user` overrides replacing the preset's own sources for
    /// the keys they name.
    pub fn build(&self, user: &[FieldOverride]) -> Result<LogFormat> {
        let merge = |own: Vec<FieldOverride>| merge_fields(own, user);
        Ok(match &self.spec {
            Spec::NginxPreset(name) => {
                let fmt = nginx::preset(name)
                    .ok_or_else(|| Error::Usage(format!("nginx preset {name:?} is not defined")))?;
                LogFormat::Nginx(nginx::NginxFormat::compile_named(name, fmt, user)?)
            }
            Spec::Nginx { format, .. } => {
                let fields = merge(self.preset_fields());
                let inner = nginx::NginxFormat::compile_named(self.name, format, &fields)?;
                PresetFormat::wrap(self.name, LogFormat::Nginx(inner), None)
            }
            Spec::Apache(log_format) => {
                let t = apache::translate(log_format)?;
                let fields = merge(t.fields);
                let inner = nginx::NginxFormat::compile_named(self.name, &t.format, &fields)?;
                PresetFormat::wrap(self.name, LogFormat::Nginx(inner), None)
            }
            Spec::Json { header_array, .. } => {
                let fields = merge(self.preset_fields());
                let inner = LogFormat::Json(json::JsonFormat::new(&fields)?);
                // A user's own name source replaces the array reading too.
                let header_array =
                    header_array.filter(|_| !user.iter().any(|f| f.key == FieldKey::Name));
                PresetFormat::wrap(self.name, inner, header_array)
            }
            Spec::Logfmt => LogFormat::Logfmt(logfmt::LogfmtFormat::new(user)?),
            Spec::Haproxy => {
                if let Some(f) = user.first() {
                    return Err(Error::Usage(format!(
                        "the haproxy preset takes no --field (got {}={}); describe another \
                         layout with --log-format",
                        f.key.as_str(),
                        f.path
                    )));
                }
                LogFormat::Haproxy(super::haproxy::HaproxyFormat)
            }
        })
    }
}

/// Build the parser for an Apache `LogFormat` string given on the command line.
pub fn build_apache(log_format: &str, user: &[FieldOverride]) -> Result<LogFormat> {
    let t = apache::translate(log_format)?;
    let fields = merge_fields(t.fields, user);
    let inner = nginx::NginxFormat::compile_named("apache:custom", &t.format, &fields)?;
    Ok(PresetFormat::wrap(
        "apache:custom",
        LogFormat::Nginx(inner),
        None,
    ))
}

/// `own` sources for the keys `user` does not name, then `user`'s.
fn merge_fields(own: Vec<FieldOverride>, user: &[FieldOverride]) -> Vec<FieldOverride> {
    own.into_iter()
        .filter(|o| !user.iter().any(|u| u.key == o.key))
        .chain(user.iter().cloned())
        .collect()
}

/// A preset's parser: a general parser reported under the preset's name, plus the
/// reading of error names logged as arrays (Caddy's `"X-Error-Code":["NAME"]`),
/// which the JSON-lines reader does not do.
#[derive(Debug, Clone)]
pub struct PresetFormat {
    name: String,
    inner: LogFormat,
    header_array: Option<HeaderArray>,
}

#[derive(Debug, Clone)]
struct HeaderArray {
    /// `"resp_headers"`, quotes included.
    object: Box<[u8]>,
    /// `"X-Error-Code"`, quotes included.
    header: Box<[u8]>,
}

impl PresetFormat {
    fn wrap(name: &str, inner: LogFormat, header_array: Option<(&str, &str)>) -> LogFormat {
        LogFormat::Preset(Box::new(PresetFormat {
            name: name.to_string(),
            inner,
            header_array: header_array.map(|(object, header)| HeaderArray {
                object: format!("\"{object}\"").into_bytes().into(),
                header: format!("\"{header}\"").into_bytes().into(),
            }),
        }))
    }

    /// The name reports give the format (`nginx:gateway`, `json`, …).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The field latency is read from, with its unit (`$request_time (s)`).
    pub fn latency_source(&self) -> Option<String> {
        self.inner.latency_source()
    }

    /// The general parser it is built on.
    pub fn inner(&self) -> &LogFormat {
        &self.inner
    }

    /// One line's fields, or why it is malformed.
    #[inline]
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        let fields = self.inner.parse(line)?;
        Ok(self.with_header_name(line, fields))
    }

    /// [`PresetFormat::parse`], with [`LogFormat::parse_checking`]'s misread.
    pub fn parse_checking<'a>(&self, line: &'a [u8]) -> Result<(Fields<'a>, bool), Malformed> {
        let (fields, misreads) = self.inner.parse_checking(line)?;
        Ok((self.with_header_name(line, fields), misreads))
    }

    /// `fields`, with the name taken from the header array when the line's own
    /// fields gave none.
    #[inline]
    fn with_header_name<'a>(&self, line: &'a [u8], mut fields: Fields<'a>) -> Fields<'a> {
        if fields.name.is_none() {
            if let Some(h) = &self.header_array {
                fields.name = h.first_value(line);
            }
        }
        fields
    }
}

impl HeaderArray {
    /// The first string of `"header":[...]` inside `"object":{...}`. The line has
    /// been parsed as JSON already, so only its shape around the key is checked.
    fn first_value<'a>(&self, line: &'a [u8]) -> Option<&'a [u8]> {
        let at = memchr::memmem::find(line, &self.object)?;
        let rest = &line[at + self.object.len()..];
        let rest = skip_ws(rest).strip_prefix(b":")?;
        let rest = skip_ws(rest).strip_prefix(b"{")?;
        // Within the object: find the header key at the top level of the object
        // (header values are arrays of strings, so no nested object can hide it).
        let end = memchr::memchr(b'}', rest).unwrap_or(rest.len());
        let object = &rest[..end];
        let at = memchr::memmem::find(object, &self.header)?;
        let value = &object[at + self.header.len()..];
        let value = skip_ws(value).strip_prefix(b":")?;
        let value = skip_ws(value).strip_prefix(b"[")?;
        let value = skip_ws(value).strip_prefix(b"\"")?;
        let len = value
            .iter()
            .position(|&b| b == b'"' || b == b'\\')
            .filter(|&n| value[n] == b'"')?;
        super::non_empty_name(&value[..len])
    }
}

fn skip_ws(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser(name: &str) -> LogFormat {
        find(name).unwrap().build(&[]).unwrap()
    }

    fn fields(name: &str, line: &str) -> Fields<'static> {
        let f = parser(name);
        let line: &'static str = Box::leak(line.to_string().into_boxed_str());
        match f.parse(line.as_bytes()) {
            Ok(f) => f,
            Err(e) => panic!("{name}: {e}: {line}"),
        }
    }

    fn s(b: Option<&[u8]>) -> Option<&str> {
        b.map(|b| std::str::from_utf8(b).unwrap())
    }

    #[test]
    fn every_preset_builds_and_reads_its_example() {
        for p in PRESETS {
            let f = p.build(&[]).unwrap();
            let got = f.parse(p.example.as_bytes());
            assert!(got.is_ok(), "{}: {got:?}", p.name);
            assert!(!p.source.is_empty() && !p.description.is_empty());
            for alias in p.aliases {
                assert_eq!(find(alias).unwrap().name, p.name);
            }
        }
        let names: Vec<&str> = PRESETS
            .iter()
            .flat_map(|p| std::iter::once(p.name).chain(p.aliases.iter().copied()))
            .collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "preset names are unique");
        assert!(lookup("nope").unwrap_err().to_string().contains("kong"));
    }

    #[test]
    fn documented_examples_give_the_documented_fields() {
        // (preset, status, path, latency in us, time in epoch ms)
        type Case = (
            &'static str,
            u16,
            Option<&'static str>,
            Option<u64>,
            Option<i64>,
        );
        let cases: &[Case] = &[
            (
                "gateway",
                403,
                Some("/v3/async/txt2img"),
                Some(12_000),
                Some(1_795_744_800_000),
            ),
            (
                "combined",
                200,
                Some("/apache_pb.gif"),
                None,
                Some(971_211_336_000),
            ),
            (
                "common",
                200,
                Some("/apache_pb.gif"),
                None,
                Some(971_211_336_000),
            ),
            (
                "nginx-json",
                200,
                Some("/v3/openai/models"),
                Some(3_000),
                Some(1_795_744_800_000),
            ),
            (
                "envoy",
                204,
                Some("/api/v1/locations"),
                Some(226_000),
                Some(1_460_751_420_310),
            ),
            (
                "envoy-json",
                204,
                Some("/api/v1/locations"),
                Some(226_000),
                Some(1_460_751_420_310),
            ),
            (
                "kong",
                200,
                Some("/get"),
                Some(1_921_000),
                Some(1_433_209_822_425),
            ),
            (
                "apisix",
                200,
                Some("/hello"),
                Some(101_999),
                Some(1_703_907_485_819),
            ),
            (
                "traefik",
                200,
                Some("/v3/openai/models"),
                Some(1_254),
                Some(1_795_744_800_123),
            ),
            (
                "traefik-clf",
                123,
                Some("testpath"),
                Some(1_000),
                Some(1_460_556_859_000),
            ),
            ("caddy", 200, Some("/"), Some(929), Some(1_646_861_401_524)),
            (
                "aws-apigw",
                200,
                Some("/v3/openai/models"),
                None,
                Some(1_795_744_800_000),
            ),
            (
                "haproxy",
                200,
                Some("/index.html"),
                Some(109_000),
                Some(1_233_922_454_655),
            ),
            (
                "aws-alb",
                200,
                Some("http://www.example.com:80/"),
                Some(1_000),
                Some(1_530_570_180_186),
            ),
            (
                "aws-elb",
                200,
                Some("http://www.example.com:80/"),
                Some(1_048),
                Some(1_431_560_383_945),
            ),
            (
                "envoy-gateway",
                200,
                Some("/get"),
                Some(1_000),
                Some(1_767_199_060_491),
            ),
            (
                "istio",
                418,
                Some("/status/418"),
                Some(4_000),
                Some(1_606_339_578_409),
            ),
            ("logfmt", 200, Some("/"), None, None),
        ];
        for &(name, status, path, latency_us, time_ms) in cases {
            let got = fields(name, find(name).unwrap().example);
            assert_eq!(got.status, status, "{name}");
            assert_eq!(s(got.path), path, "{name}");
            assert_eq!(got.latency_us, latency_us, "{name}");
            assert_eq!(got.time_ms, time_ms, "{name}");
            assert!(!got.bad_time, "{name}");
            assert_eq!(
                got.name.map(|_| ()),
                if name == "gateway" { Some(()) } else { None }
            );
        }
        assert_eq!(
            s(fields("gateway", find("gateway").unwrap().example).name),
            Some("INVALID_API_KEY")
        );
    }

    #[test]
    fn report_names_and_latency_sources() {
        assert_eq!(parser("gateway").name(), "nginx:gateway");
        assert_eq!(parser("apache-combined").name(), "nginx:combined");
        assert_eq!(parser("kong").name(), "kong");
        assert_eq!(parser("logfmt").name(), "logfmt");
        assert_eq!(
            parser("envoy").latency_source().as_deref(),
            Some("$duration (ms)")
        );
        assert_eq!(
            parser("kong").latency_source().as_deref(),
            Some("latencies.request (ms)")
        );
        assert_eq!(
            parser("traefik").latency_source().as_deref(),
            Some("Duration (ns)")
        );
    }

    // ---- tricky cases, per format ----

    const TLS_HANDSHAKE: &str = r"\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03";

    #[test]
    fn nginx_text_tricky_lines() {
        // escape=json quoting in the user agent, IPv6 client, '-' everywhere.
        let got = fields(
            "gateway",
            r#"2001:db8::7 - - [27/Nov/2026:10:00:00 +0800] "GET /v3/openai/models HTTP/2.0" 429 0 "-" "sdk \"beta\" 1.0" 0.002 "RATE_LIMIT_EXCEEDED""#,
        );
        assert_eq!(
            (got.status, s(got.name)),
            (429, Some("RATE_LIMIT_EXCEEDED"))
        );
        let got = fields("gateway", r#"- - - [-] "-" 400 0 "-" "-" - "-""#);
        assert_eq!(
            (got.status, got.name, got.path, got.latency_us),
            (400, None, None, None)
        );
        // A TLS handshake sent to the plain-HTTP port: nginx logs it as a 400.
        let line = format!(
            r#"198.51.100.9 - - [27/Nov/2026:10:00:00 +0800] "{TLS_HANDSHAKE}" 400 157 "-" "-" 0.001 "-""#
        );
        let got = fields("gateway", &line);
        assert_eq!((got.status, got.path), (400, None));
        // Cut mid-way before the status.
        let cut = r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /v3/async/tx"#;
        assert!(parser("gateway").parse(cut.as_bytes()).is_err());
    }

    #[test]
    fn apache_tricky_lines() {
        // IPv6, escaped quotes in the agent (Apache writes `\"`), very long URL.
        let url = format!("/v3/async/task-result?task_id={}", "x".repeat(20_000));
        let line = format!(
            r#"2001:db8::1 - - [10/Oct/2000:13:55:36 -0700] "GET {url} HTTP/1.1" 404 209 "-" "Mozilla \"evil\" 5.0""#
        );
        let got = fields("combined", &line);
        assert_eq!((got.status, s(got.path)), (404, Some(url.as_str())));
        // Apache logs a request it could not read as "-" with status 408, or a TLS
        // handshake with its bytes escaped.
        let got = fields(
            "common",
            r#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "-" 408 -"#,
        );
        assert_eq!((got.status, got.path), (408, None));
        let line =
            format!(r#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "{TLS_HANDSHAKE}" 400 226"#);
        assert_eq!(fields("common", &line).status, 400);
        let cut = r#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 2"#;
        assert!(parser("common").parse(cut.as_bytes()).is_err());
    }

    #[test]
    fn envoy_text_tricky_lines() {
        // No upstream reached: '-' for the service time and host, response flags set.
        let got = fields(
            "envoy",
            r#"[2026-11-27T02:00:00.000Z] "GET /v3/openai/models HTTP/1.1" 503 UF,URX 0 91 30000 - "-" "curl/8.5.0" "req-1" "api.example.com" "-""#,
        );
        assert_eq!((got.status, got.latency_us), (503, Some(30_000_000)));
        // IPv6 in x-forwarded-for, a quote inside the agent (Envoy does not escape it).
        let got = fields(
            "envoy",
            r#"[2026-11-27T02:00:00.000Z] "POST /v3/async/txt2img HTTP/2" 403 - 10 98 12 11 "2001:db8::1" "a "quoted" agent" "req-2" "api.example.com" "10.0.3.5:8080""#,
        );
        assert_eq!((got.status, s(got.path)), (403, Some("/v3/async/txt2img")));
        // Status 0 (downstream went away before a response) is no status.
        let line =
            r#"[2026-11-27T02:00:00.000Z] "GET / HTTP/1.1" 0 DC 0 0 5 - "-" "-" "-" "-" "-""#;
        assert!(parser("envoy").parse(line.as_bytes()).is_err());
        // A non-HTTP request: Envoy logs '- - -' as the request line.
        let got = fields(
            "envoy",
            r#"[2026-11-27T02:00:00.000Z] "- - -" 400 DPE 0 0 0 - "-" "-" "-" "-" "-""#,
        );
        assert_eq!((got.status, got.path), (400, None));
    }

    #[test]
    fn json_presets_tricky_lines() {
        // Kong: lower- or mixed-case header key, IPv6 client, escaped quotes.
        let got = fields(
            "kong",
            r#"{"request":{"uri":"/v3/openai/chat","headers":{"user-agent":"a \"b\" c"}},"response":{"status":429,"headers":{"x-error-code":"RATE_LIMIT_EXCEEDED"}},"latencies":{"request":12},"client_ip":"2001:db8::1","started_at":1795744800000}"#,
        );
        assert_eq!(
            (got.status, s(got.name)),
            (429, Some("RATE_LIMIT_EXCEEDED"))
        );
        let got = fields(
            "kong",
            r#"{"request":{"uri":"/v3/openai/chat"},"response":{"status":403,"headers":{"X-Error-Code":"INVALID_API_KEY"}},"latencies":{"request":1},"started_at":1795744800000}"#,
        );
        assert_eq!(s(got.name), Some("INVALID_API_KEY"));
        // APISIX with include_resp_body: the name comes from the logged body.
        let got = fields(
            "apisix",
            r#"{"start_time":1795744800000,"latency":12.5,"request":{"uri":"/v3/async/txt2img"},"response":{"status":403,"body":"{\"code\":403,\"reason\":\"INVALID_API_KEY\",\"message\":\"x\",\"metadata\":{}}"}}"#,
        );
        assert_eq!(
            (s(got.name), got.latency_us),
            (Some("INVALID_API_KEY"), Some(12_500))
        );
        // Traefik: the kept header, '-' for a header not sent.
        let got = fields(
            "traefik",
            r#"{"DownstreamStatus":404,"RequestPath":"/v3/openai/models/x","Duration":2000000,"StartUTC":"2026-11-27T02:00:00Z","downstream_X-Error-Code":"MODEL_NOT_FOUND"}"#,
        );
        assert_eq!(
            (s(got.name), got.latency_us),
            (Some("MODEL_NOT_FOUND"), Some(2_000))
        );
        let got = fields(
            "traefik",
            r#"{"DownstreamStatus":504,"RequestPath":"/v2/x","downstream_X-Error-Code":"-"}"#,
        );
        assert_eq!((got.status, got.name), (504, None));
        // AWS: status as a string, requestTimeEpoch preferred over requestTime.
        let got = fields(
            "aws-apigw",
            r#"{"requestId":"r","requestTime":"27/Nov/2026:02:00:00 +0000","requestTimeEpoch":1795744800123,"path":"/prod/v3/openai/models","resourcePath":"/{proxy+}","status":"502","responseLatency":"29001"}"#,
        );
        assert_eq!(got.time_ms, Some(1_795_744_800_123));
        assert_eq!(
            (got.status, s(got.path), got.latency_us),
            (502, Some("/prod/v3/openai/models"), Some(29_001_000))
        );
        // A JSON line cut mid-way is malformed; so is a TLS handshake.
        for name in [
            "kong",
            "apisix",
            "traefik",
            "caddy",
            "aws-apigw",
            "envoy-json",
            "nginx-json",
        ] {
            let f = parser(name);
            let example = find(name).unwrap().example;
            assert!(
                f.parse(&example.as_bytes()[..example.len() / 2]).is_err(),
                "{name}"
            );
            assert!(
                f.parse(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
                    .is_err(),
                "{name}"
            );
        }
    }

    #[test]
    fn caddy_header_arrays() {
        let line = r#"{"level":"error","ts":1795744800.5,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"2001:db8::1","uri":"/v3/openai/chat","headers":{"User-Agent":["a \"q\" b"],"X-Error-Code":["FROM_THE_CLIENT"]}},"duration":0.25,"status":403,"resp_headers":{"Content-Type":["application/json"],"X-Error-Code":["INVALID_API_KEY"]}}"#;
        // The JSON-lines reader alone does not read a one-element array: that is the
        // limitation the preset works around.
        let plain =
            json::JsonFormat::new(&[
                FieldOverride::parse("name=resp_headers.X-Error-Code").unwrap()
            ])
            .unwrap();
        assert_eq!(plain.parse(line.as_bytes()).unwrap().name, None);
        let got = fields("caddy", line);
        assert_eq!(
            s(got.name),
            Some("INVALID_API_KEY"),
            "not the request header"
        );
        assert_eq!(
            (got.status, got.latency_us, got.time_ms),
            (403, Some(250_000), Some(1_795_744_800_500))
        );
        // No header, an empty array, and a plain string value (a log filter may flatten it).
        let none =
            r#"{"ts":1,"status":404,"request":{"uri":"/x"},"resp_headers":{"Server":["Caddy"]}}"#;
        assert_eq!(fields("caddy", none).name, None);
        let empty =
            r#"{"ts":1,"status":404,"request":{"uri":"/x"},"resp_headers":{"X-Error-Code":[]}}"#;
        assert_eq!(fields("caddy", empty).name, None);
        let flat = r#"{"ts":1,"status":404,"request":{"uri":"/x"},"resp_headers":{"X-Error-Code":"MODEL_NOT_FOUND"}}"#;
        assert_eq!(s(fields("caddy", flat).name), Some("MODEL_NOT_FOUND"));
        // A --field name=... of the user's replaces the array reading.
        let user = [FieldOverride::parse("name=request.headers.X-Error-Code").unwrap()];
        let f = find("caddy").unwrap().build(&user).unwrap();
        assert_eq!(f.parse(line.as_bytes()).unwrap().name, None);
    }

    #[test]
    fn logfmt_tricky_lines() {
        let got = fields(
            "logfmt",
            r#"time=2026-11-27T02:00:00Z client=2001:db8::1 ua="sdk \"beta\"" method=POST path=/v3/async/txt2img status=403 duration=12ms error_code=INVALID_API_KEY"#,
        );
        assert_eq!(
            (got.status, s(got.name), got.latency_us),
            (403, Some("INVALID_API_KEY"), Some(12_000))
        );
        assert!(parser("logfmt").parse(b"path=/x ua=\"cut").is_err());
    }

    #[test]
    fn user_fields_replace_the_presets_own() {
        let user = [FieldOverride::parse("latency=latencies.proxy:ms").unwrap()];
        let f = find("kong").unwrap().build(&user).unwrap();
        let got = f.parse(find("kong").unwrap().example.as_bytes()).unwrap();
        assert_eq!((got.latency_us, got.status), (Some(1_430_000), 200));
        // On an nginx-style preset a --field names a variable.
        let user = [FieldOverride::parse("latency=upstream_service_time:ms").unwrap()];
        let f = find("envoy").unwrap().build(&user).unwrap();
        let got = f.parse(find("envoy").unwrap().example.as_bytes()).unwrap();
        assert_eq!(got.latency_us, Some(100_000));
        let user = [FieldOverride::parse("name=nope").unwrap()];
        assert!(find("envoy").unwrap().build(&user).is_err());
    }

    #[test]
    fn apache_custom_format() {
        let f = build_apache(r#"%h %l %u %t \"%r\" %>s %b %D \"%{X-Error-Code}o\""#, &[]).unwrap();
        assert_eq!(f.name(), "apache:custom");
        assert_eq!(f.latency_source().as_deref(), Some("$request_time_us (us)"));
        let got = f
            .parse(br#"::1 - - [10/Oct/2000:13:55:36 -0700] "GET /v3/openai/x HTTP/1.1" 403 12 1500 "INVALID_API_KEY""#)
            .unwrap();
        assert_eq!(
            (got.status, got.latency_us, s(got.name)),
            (403, Some(1500), Some("INVALID_API_KEY"))
        );
        assert!(build_apache("%h %Z", &[]).is_err());
    }
}
