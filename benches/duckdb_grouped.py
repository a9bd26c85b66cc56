#!/usr/bin/env python3
"""DuckDB's take on errscope's JSON-lines report, for benches/throughput.sh.

Reads a JSON-lines gateway log with read_json and groups it by catalog section
(errscope's default routes), status and error name (the error_code key, else the
reason in the logged response body), with count and p50/p99 latency: the numbers
errscope's report is built from. Needs `pip install duckdb`; prints the groups.
"""

import sys

import duckdb

QUERY = r"""
SELECT
    CASE
        WHEN starts_with(uri, '/openapi/v1/billing/') THEN 'billing'
        WHEN starts_with(uri, '/v3/openai/') OR starts_with(uri, '/openai/') THEN 'llm'
        WHEN starts_with(uri, '/v3/') OR starts_with(uri, '/v2/') THEN 'media'
    END AS section,
    status,
    coalesce(error_code, regexp_extract(resp_body, '"reason":"([A-Za-z0-9_.-]+)"', 1)) AS name,
    count(*) AS n,
    quantile_cont(request_time, 0.5) AS p50,
    quantile_cont(request_time, 0.99) AS p99
FROM read_json(?, format = 'newline_delimited', ignore_errors = true,
               columns = {uri: 'VARCHAR', status: 'BIGINT', request_time: 'DOUBLE',
                          error_code: 'VARCHAR', resp_body: 'VARCHAR'})
GROUP BY ALL
ORDER BY n DESC
"""


def main():
    rows = duckdb.execute(QUERY, [sys.argv[1]]).fetchall()
    for row in rows:
        print(*row, sep="\t")


if __name__ == "__main__":
    main()
