"""What folio costs a month, computed from what template.yaml creates.

    .venv/bin/python scripts/cost.py                      # the table in docs/DEPLOY.md
    .venv/bin/python scripts/cost.py --set Alarms=off     # with other parameters
    .venv/bin/python scripts/cost.py --requests 200000    # another traffic figure

The resources (alarms, memory sizes, the tick's rate, replicas, the edge trigger)
are read from the template with its parameters' defaults and the edge on (as
scripts/deploy leaves the stack), or the values given with --set; the traffic model and the prices are below, each price with the page it was
read from. tests/template_test.py holds docs/DEPLOY.md's table equal to this output
and the default stack at 50,000 requests to at most $1.00.
"""

import argparse
import re
import sys
from pathlib import Path

from cfnlint.decode import decode_str

ROOT = Path(__file__).resolve().parent.parent

# us-east-1 list prices as of 2026-12-05, from the pages named (CloudFront's and
# CloudWatch's read that day; check the others against their pages).
PRICES_READ = "2026-12-05"
CLOUDFRONT = "https://aws.amazon.com/cloudfront/pricing/"
LAMBDA = "https://aws.amazon.com/lambda/pricing/"
DYNAMODB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
SCHEDULER = "https://aws.amazon.com/eventbridge/pricing/"
S3 = "https://aws.amazon.com/s3/pricing/"
COGNITO = "https://aws.amazon.com/cognito/pricing/"
SNS = "https://aws.amazon.com/sns/pricing/"

PRICE = {
    # CloudFront's always-free tier: 10 M requests, 1 TB out, 2 M function runs.
    "cf_free_requests": 10_000_000,
    "cf_https_per_10k": 0.0100,
    "cf_free_gb": 1024,
    "cf_gb": 0.085,
    "cff_free": 2_000_000,
    "cff_per_m": 0.10,
    "cf_free_invalidation_paths": 1000,
    # Lambda@Edge has no free tier; duration is billed per 1 ms.
    "edge_per_m": 0.60,
    "edge_gb_s": 0.00005001,
    # Lambda (x86): 1 M requests and 400,000 GB-s free every month.
    "lambda_free_requests": 1_000_000,
    "lambda_per_m": 0.20,
    "lambda_free_gb_s": 400_000,
    "lambda_gb_s": 0.0000166667,
    # DynamoDB on demand (replicated writes cost the same as writes); 25 GB free.
    "ddb_wru_per_m": 0.625,
    "ddb_rru_per_m": 0.125,
    "ddb_pitr_gb": 0.20,
    # CloudWatch. Its free allowance (10 alarms, 10 metrics, 5 GB of logs) is
    # shared with everything else in the account, so it is not counted here.
    "cw_alarm": 0.10,
    "cw_metric": 0.30,
    "cw_logs_gb": 0.50,
    # EventBridge Scheduler: 14 M invocations free every month.
    "scheduler_free": 14_000_000,
    "scheduler_per_m": 1.00,
    "s3_gb": 0.023,
    "s3_put_per_k": 0.005,
}

# The traffic model: what one month of `requests` viewer requests does.
MODEL = {
    "miss_ratio": 0.30,  # of requests that miss CloudFront's cache
    "track_ratio": 0.10,  # of requests that are track calls (a visit or a view)
    "track_wru": 6,  # a track call's transaction: the marker, tallies, twice the units
    "read_rru": 2,  # an uncached read: a page of index rows and a tally
    "origin_ms": 20,
    "edge_ms": 5,
    "tick_ms": 40,
    "tick_rru": 2,  # 3 to 5 key-only GSI queries, eventually consistent
    "answer_kb": 5,  # average answer CloudFront sends
    "log_kb_origin": 1.0,  # START, END, REPORT and the request's line
    "log_kb_edge": 0.6,
    "table_gb": 0.1,
    "media_gb": 0.5,
    "media_puts": 50,
    "invalidation_paths": 100,  # about 20 publishes of 5 paths
    "edge_regions": 3,  # Regions whose edge locations run the edge for your readers
}

# Custom metrics the code writes when CustomMetrics is on (`metrics::count`):
# name -> how many dimension sets. The edge's count once per Region it runs in.
ORIGIN_METRICS = {"VisitsTracked": 1, "ViewsTracked": 3, "Invalidations": 1}
EDGE_METRICS = {"JwtRejected": 13}  # one per JwtRejection::reason()

# Every resource type the template may create, and where its cost is counted.
PRICED_TYPES = {
    "AWS::CloudFront::Distribution": "CloudFront requests and transfer",
    "AWS::CloudFront::Function": "CloudFront Functions",
    "AWS::Serverless::Function": "Lambda@Edge, origin Lambda",
    "AWS::DynamoDB::GlobalTable": "DynamoDB",
    "AWS::CloudWatch::Alarm": "CloudWatch alarms",
    "AWS::Logs::LogGroup": "CloudWatch Logs",
    "AWS::Scheduler::Schedule": "EventBridge Scheduler",
    "AWS::S3::Bucket": "S3",
    "AWS::Cognito::UserPool": "Cognito",
    "AWS::SNS::Topic": "SNS",
}
FREE_TYPES = {
    "AWS::CloudFront::CachePolicy",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::OriginRequestPolicy",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
    "AWS::IAM::Role",
    "AWS::Lambda::Permission",
    "AWS::Lambda::Url",
    "AWS::S3::BucketPolicy",
    # Alias queries to a CloudFront distribution are free; the hosted zone is yours.
    "AWS::Route53::RecordSetGroup",
}


# The stack as scripts/deploy leaves it: the edge on (its step 4).
DEPLOYED = {"EdgeStage": "on"}


def load(overrides):
    """The template and its parameters: defaults, as deployed, then `overrides`."""
    template, _ = decode_str((ROOT / "template.yaml").read_text())
    params = {k: str(v.get("Default", "")) for k, v in template["Parameters"].items()}
    for name, value in {**DEPLOYED, **overrides}.items():
        if name not in params:
            raise SystemExit(f"no parameter {name} in template.yaml")
        params[name] = value
    return template, params


def condition(template, params, name):
    def ev(node):
        if isinstance(node, dict):
            (op, arg), = node.items()
            if op == "Fn::Equals":
                return value(arg[0]) == value(arg[1])
            if op == "Fn::Not":
                return not ev(arg[0])
            if op == "Fn::And":
                return all(ev(a) for a in arg)
            if op == "Fn::Or":
                return any(ev(a) for a in arg)
            if op == "Condition":
                return ev(template["Conditions"][arg])
        raise SystemExit(f"cannot evaluate condition {node!r}")

    def value(node):
        if isinstance(node, dict) and "Ref" in node:
            return params[node["Ref"]]
        return str(node)

    return ev(template["Conditions"][name])


def created(template, params):
    """The resources a deploy with these parameters creates."""
    return {
        name: r
        for name, r in template["Resources"].items()
        if "Condition" not in r or condition(template, params, r["Condition"])
    }


def lines(template, params, requests):
    """(item, how it is computed, dollars) for one month."""
    res = created(template, params)
    p, m = PRICE, MODEL
    edge = res.get("EdgeFunction")
    viewer_edge = edge is not None and params["EdgeTrigger"] == "viewer-request"
    misses = requests * m["miss_ratio"]
    rate = re.fullmatch(r"rate\((\d+) minutes?\)", res["TickSchedule"]["Properties"]["ScheduleExpression"])
    ticks = 30 * 24 * 60 / int(rate.group(1))
    origin_mb = res["OriginFunction"]["Properties"]["MemorySize"]
    replicas = len([r for r in res["Table"]["Properties"]["Replicas"] if not (isinstance(r, dict) and "Fn::If" in r)])
    replicas += sum(1 for r in res["Table"]["Properties"]["Replicas"] if isinstance(r, dict) and "Fn::If" in r and condition(template, params, r["Fn::If"][0]))
    alarms = sum(1 for r in res.values() if r["Type"] == "AWS::CloudWatch::Alarm")
    out = []

    https = max(0, requests - p["cf_free_requests"]) / 10_000 * p["cf_https_per_10k"]
    gb = max(0, requests * m["answer_kb"] / 1e6 - p["cf_free_gb"]) * p["cf_gb"]
    out.append(("CloudFront requests and transfer", f"{m['answer_kb']} KB an answer; 10 M requests and 1 TB free", https + gb))
    if "ViewerRequestFunction" in res:
        out.append(("CloudFront Functions", "every request; 2 M free, then $0.10/M", max(0, requests - p["cff_free"]) / 1e6 * p["cff_per_m"]))
    if edge:
        runs = requests if viewer_edge else misses
        gb_s = runs * m["edge_ms"] / 1000 * edge["Properties"]["MemorySize"] / 1024
        where = "every request" if viewer_edge else f"{m['miss_ratio']:.0%} of requests (cache misses)"
        out.append(("Lambda@Edge", f"{where}, {m['edge_ms']} ms at {edge['Properties']['MemorySize']} MB; no free tier", runs / 1e6 * p["edge_per_m"] + gb_s * p["edge_gb_s"]))
    invocations = misses + ticks
    gb_s = (misses * m["origin_ms"] + ticks * m["tick_ms"]) / 1000 * origin_mb / 1024
    out.append((
        "Origin Lambda",
        f"cache misses and {ticks:,.0f} ticks, {m['origin_ms']} ms at {origin_mb} MB; 1 M requests and 400,000 GB-s free",
        max(0, invocations - p["lambda_free_requests"]) / 1e6 * p["lambda_per_m"]
        + max(0, gb_s - p["lambda_free_gb_s"]) * p["lambda_gb_s"],
    ))
    wru = requests * m["track_ratio"] * m["track_wru"] * replicas
    rru = misses * m["read_rru"] + ticks * m["tick_rru"]
    pitr = m["table_gb"] * replicas * p["ddb_pitr_gb"]
    out.append((
        "DynamoDB on demand",
        f"{m['track_ratio']:.0%} of requests track ({m['track_wru']} write units), misses read {m['read_rru']}; {replicas} Region(s); backups of {m['table_gb']} GB",
        wru / 1e6 * p["ddb_wru_per_m"] + rru / 1e6 * p["ddb_rru_per_m"] + pitr,
    ))
    out.append(("Cognito", "one owner, within the 10,000 free monthly active users", 0.0))
    log_gb = (invocations * m["log_kb_origin"] + (requests if viewer_edge else misses) * m["log_kb_edge"] * bool(edge)) / 1e6
    out.append(("CloudWatch Logs ingestion", f"about {m['log_kb_origin']} KB an origin run, {m['log_kb_edge']} KB an edge run; $0.50/GB", log_gb * p["cw_logs_gb"]))
    if params["CustomMetrics"] == "on":
        count = sum(ORIGIN_METRICS.values()) + sum(EDGE_METRICS.values()) * m["edge_regions"] * bool(edge)
        out.append(("CloudWatch custom metrics", f"up to {count} metric and dimension sets at $0.30", count * p["cw_metric"]))
    else:
        out.append(("CloudWatch custom metrics", "CustomMetrics=off (the default): none", 0.0))
    out.append(("CloudWatch alarms", f"{alarms} standard alarms at $0.10 (Alarms={params['Alarms']})", alarms * p["cw_alarm"]))
    if "AlarmTopic" in res:
        out.append(("SNS e-mail for alarms", "1,000 e-mails free", 0.0))
    out.append(("EventBridge Scheduler", f"{ticks:,.0f} ticks; 14 M free", max(0, ticks - p["scheduler_free"]) / 1e6 * p["scheduler_per_m"]))
    out.append((
        "S3 for images",
        f"{m['media_gb']} GB stored, {m['media_puts']} uploads; reads served by CloudFront's cache",
        m["media_gb"] * p["s3_gb"] + m["media_puts"] / 1000 * p["s3_put_per_k"],
    ))
    out.append(("CloudFront invalidations", f"about {m['invalidation_paths']} paths; 1,000 free", 0.0 if m["invalidation_paths"] <= p["cf_free_invalidation_paths"] else (m["invalidation_paths"] - 1000) * 0.005))
    return out


def table(template, params, volumes):
    rows = [lines(template, params, v) for v in volumes]
    header = "| item | how | " + " | ".join(f"{v:,} requests" for v in volumes) + " |"
    text = [header, "|---|---|" + "---:|" * len(volumes)]
    for i, (item, how, _) in enumerate(rows[0]):
        text.append(f"| {item} | {how} | " + " | ".join(f"${r[i][2]:.2f}" for r in rows) + " |")
    text.append("| **total** | | " + " | ".join(f"**${sum(x[2] for x in r):.2f}**" for r in rows) + " |")
    return "\n".join(text)


def markdown(template, params):
    sources = ", ".join(
        f"[{name}]({url})"
        for name, url in [
            ("CloudFront", CLOUDFRONT), ("Lambda", LAMBDA), ("DynamoDB", DYNAMODB),
            ("CloudWatch", CLOUDWATCH), ("EventBridge", SCHEDULER), ("S3", S3),
            ("Cognito", COGNITO), ("SNS", SNS),
        ]
    )
    return (
        f"{table(template, params, [50_000, 5_000_000])}\n\n"
        f"us-east-1 list prices as of {PRICES_READ}, from the pricing pages of {sources}; the CloudFront "
        "and CloudWatch pages were read that day, the others are worth checking before you rely on them. "
        "CloudWatch's own free allowance (10 alarms, 10 metrics, 5 GB of logs) is left out, "
        "since the account's other alarms may use it; inside it, the alarms cost nothing."
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], metavar="Param=value")
    parser.add_argument("--requests", type=int, action="append")
    args = parser.parse_args()
    overrides = dict(s.split("=", 1) for s in args.set)
    template, params = load(overrides)
    if args.requests:
        print(table(template, params, args.requests))
    else:
        print(markdown(template, params))


if __name__ == "__main__":
    sys.exit(main())
