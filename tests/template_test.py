"""What the linters cannot know about template.yaml: the platform rules of
DESIGN §3 and that the template, the code and cloudfront/ agree.

Run by ./scripts/test (after the Rust build) with the venv's Python:
    .venv/bin/python -m unittest tests/template_test.py
"""

import json
import os
import re
import subprocess
import unittest
from pathlib import Path

from cfnlint.decode import decode_str

import importlib.util

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE, _ = decode_str((ROOT / "template.yaml").read_text())
RESOURCES = TEMPLATE["Resources"]


def props(name):
    return RESOURCES[name]["Properties"]


def refs(value):
    """Every Ref / GetAtt / Sub target named anywhere inside a value."""
    found = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref":
                found.add(str(inner))
            elif key == "Fn::GetAtt":
                found.add(str(inner[0] if isinstance(inner, list) else inner).split(".")[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found.update(m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", str(text)))
            found |= refs(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= refs(inner)
    return found


def folio(*args):
    binary = Path(os.environ.get("FOLIO_BIN", ROOT / "target/debug/folio"))
    if not binary.exists():
        raise AssertionError(f"{binary} is missing: build it first (./scripts/test does)")
    return subprocess.run([str(binary), *args], check=True, capture_output=True, text=True).stdout


def distribution():
    return props("Distribution")["DistributionConfig"]


class EdgeFunction(unittest.TestCase):
    def test_edge_runs_python312_on_x86_64_from_the_packaged_zip(self):
        edge = props("EdgeFunction")
        self.assertEqual(edge["Runtime"], "python3.12")
        self.assertEqual(edge["Architectures"], ["x86_64"])
        self.assertEqual(edge["Handler"], "handler.handler")
        self.assertEqual(edge["CodeUri"], "dist/edge.zip")

    def test_edge_has_no_environment_variables(self):
        self.assertNotIn("Environment", props("EdgeFunction"))
        self.assertNotIn("Globals", TEMPLATE, "Globals could add an environment to the edge")

    def test_edge_is_associated_by_a_published_version(self):
        self.assertIn("AutoPublishAlias", props("EdgeFunction"))
        associations = json.dumps(distribution()["DefaultCacheBehavior"]["LambdaFunctionAssociations"])
        arns = re.findall(r'"LambdaFunctionARN": (\{[^}]*\})', associations)
        self.assertTrue(arns)
        for arn in arns:
            self.assertEqual(json.loads(arn), {"Ref": "EdgeFunction.Version"})
        self.assertIn('"origin-request"', associations)
        self.assertIn('"viewer-request"', associations, "the viewer-request option exists")

    def test_edge_role_can_be_assumed_by_lambda_at_edge(self):
        statement = props("EdgeRole")["AssumeRolePolicyDocument"]["Statement"][0]
        self.assertIn("edgelambda.amazonaws.com", statement["Principal"]["Service"])


class MediaFunction(unittest.TestCase):
    """An upload's smaller copies: S3 → EventBridge → the media function."""

    def test_it_runs_the_packaged_media_zip_on_provided_al2023(self):
        media = props("MediaFunction")
        self.assertEqual(media["Runtime"], "provided.al2023")
        self.assertEqual(media["Architectures"], ["x86_64"])
        self.assertEqual(media["CodeUri"], "dist/media.zip")
        self.assertEqual(refs(media["Environment"]["Variables"]["MEDIA_BUCKET"]), {"MediaBucket"})
        # A 36-megapixel image is 144 MB as RGBA (origin/src/support/images.rs).
        self.assertGreaterEqual(media["MemorySize"], 512)

    def test_the_bucket_sends_its_events_to_eventbridge_not_to_the_function(self):
        bucket = props("MediaBucket")
        self.assertTrue(bucket["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"])
        # A direct notification would make the bucket depend on the function.
        self.assertNotIn("LambdaConfigurations", bucket["NotificationConfiguration"])

    def test_the_rule_matches_objects_created_under_media_in_this_bucket(self):
        (event,) = props("MediaFunction")["Events"].values()
        self.assertEqual(event["Type"], "EventBridgeRule")
        pattern = event["Properties"]["Pattern"]
        self.assertEqual(pattern["source"], ["aws.s3"])
        self.assertEqual(pattern["detail-type"], ["Object Created"])
        self.assertEqual(refs(pattern["detail"]["bucket"]["name"]), {"MediaBucket"})
        self.assertEqual(pattern["detail"]["object"]["key"], [{"prefix": "media/"}])
        # The fixture the code is tested on is an event this rule matches.
        fixture = json.loads((ROOT / "origin/fixtures/s3-object-created.json").read_text())
        self.assertEqual(fixture["source"], "aws.s3")
        self.assertEqual(fixture["detail-type"], "Object Created")
        self.assertTrue(fixture["detail"]["object"]["key"].startswith("media/"))

    def test_it_reads_uploads_and_writes_only_under_media_sized(self):
        statements = props("MediaFunction")["Policies"][0]["Statement"]
        actions = {s["Sid"]: (s["Action"], s["Resource"]["Fn::Sub"]) for s in statements}
        self.assertEqual(actions["ReadUploads"], ("s3:GetObject", "${MediaBucket.Arn}/media/*"))
        self.assertEqual(actions["WriteSmallerCopies"], ("s3:PutObject", "${MediaBucket.Arn}/media/sized/*"))
        self.assertEqual(len(statements), 2)


class Origin(unittest.TestCase):
    def test_origin_is_provided_al2023_on_x86_64_from_the_packaged_zip(self):
        origin = props("OriginFunction")
        self.assertEqual(origin["Runtime"], "provided.al2023")
        self.assertEqual(origin["Architectures"], ["x86_64"])
        self.assertEqual(origin["CodeUri"], "dist/origin.zip")
        env = origin["Environment"]["Variables"]
        for name in ["TABLE_NAME", "USER_POOL_ID", "USER_POOL_CLIENT_ID", "OWNER_GROUP"]:
            self.assertIn(name, env)

    def test_function_url_is_iam_authed_behind_origin_access_control(self):
        self.assertEqual(props("OriginFunctionUrl")["AuthType"], "AWS_IAM")
        oac = props("OriginAccessControl")["OriginAccessControlConfig"]
        self.assertEqual(oac["OriginAccessControlOriginType"], "lambda")
        self.assertEqual(oac["SigningBehavior"], "always")
        origin = distribution()["Origins"][0]
        self.assertEqual(origin["OriginAccessControlId"], {"Fn::GetAtt": ["OriginAccessControl", "Id"]})
        self.assertIn("OriginFunctionUrl", refs(origin["DomainName"]))
        permission = props("OriginUrlFromCloudFront")
        self.assertEqual(permission["Principal"], "cloudfront.amazonaws.com")
        self.assertEqual(permission["FunctionUrlAuthType"], "AWS_IAM")
        self.assertIn("Distribution", refs(permission["SourceArn"]))

    def test_iam_policies_name_only_the_resources_they_need(self):
        statements = props("OriginFunction")["Policies"][0]["Statement"]
        flat = []
        for statement in statements:
            if "Fn::If" in statement:
                flat.append(statement["Fn::If"][1])
            else:
                flat.append(statement)
        allowed_targets = {"Table", "UserPool", "DistributionId", "MediaBucket"}
        for statement in flat:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                self.assertNotIn("*", action, f"wildcard action {action}")
            self.assertNotEqual(statement["Resource"], "*")
            names = refs(statement["Resource"]) - {"AWS::Partition", "AWS::Region", "AWS::AccountId"}
            self.assertTrue(names, f"{statement['Sid']} names a resource")
            self.assertLessEqual(names, allowed_targets, f"{statement['Sid']} reaches {names}")
        sids = {s["Sid"] for s in flat}
        self.assertEqual(sids, {"SingleTable", "SignImageUploads", "SweepUnlinkedImages", "ListImages",
                                "OwnerSignOutAndPassword", "InvalidateThisDistribution"})
        for statement in RESOURCES["EdgeRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]:
            self.assertTrue(all(a.startswith("logs:") for a in statement["Action"]))


class Table(unittest.TestCase):
    def test_gsi_key_attributes_are_defined(self):
        table = props("Table")
        defined = {a["AttributeName"] for a in table["AttributeDefinitions"]}
        for index in table["GlobalSecondaryIndexes"]:
            for key in index["KeySchema"]:
                self.assertIn(key["AttributeName"], defined)

    def test_ttl_is_on_expires_at_and_pitr_is_on(self):
        table = props("Table")
        self.assertEqual(table["TimeToLiveSpecification"], {"AttributeName": "ExpiresAt", "Enabled": True})
        self.assertTrue(table["Replicas"][0]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"])
        self.assertEqual(table["BillingMode"], "PAY_PER_REQUEST")

    def test_table_is_the_one_folio_table_create_makes(self):
        definition = json.loads(folio("table", "definition"))
        table = props("Table")
        for key, value in definition.items():
            self.assertEqual(json.loads(json.dumps(table[key])), value, key)


class CloudFront(unittest.TestCase):
    def test_viewer_function_in_the_template_is_cloudfront_viewer_request_js(self):
        code, variables = props("ViewerRequestFunction")["FunctionCode"]["Fn::Sub"]
        self.assertEqual(code.strip(), (ROOT / "cloudfront/viewer-request.js").read_text().strip())
        self.assertEqual(re.findall(r"\$\{([^}]+)\}", code), ["FailoverOriginId"], "nothing else is filled in")
        failover = json.loads(folio("cloudfront-policies"))["failover"]
        self.assertEqual(variables["FailoverOriginId"],
                         {"Fn::If": ["HasFailoverOrigin", failover["FailoverOriginId"], ""]})
        self.assertEqual(props("ViewerRequestFunction")["FunctionConfig"]["Runtime"], "cloudfront-js-2.0")
        # "include the following statement in the first line": helper methods need it.
        self.assertEqual(code.splitlines()[0], "import cf from 'cloudfront';")

    def test_failover_is_the_one_definition_in_the_function_the_origins_and_the_stand_in(self):
        failover = json.loads(folio("cloudfront-policies"))["failover"]
        js = (ROOT / "cloudfront/viewer-request.js").read_text()
        value = lambda name: json.loads(re.search(r"var %s = (.*?);" % name, js).group(1))
        self.assertEqual(value("HOME_ORIGIN_ID"), failover["HomeOriginId"])
        self.assertEqual(value("FAILOVER_METHODS"), failover["Methods"])
        self.assertEqual(value("FAILOVER_STATUS_CODES"), failover["StatusCodes"])
        self.assertEqual(value("FAILOVER_RETRY_QUERY"), failover["RetryQuery"])
        self.assertEqual(value("FAILOVER_RETRY_PATHS"), failover["RetryPaths"])
        # The tracking script resends with the parameter the function reads.
        for version in ["2", "3"]:
            tracker = (ROOT / ("origin/tracker/%s.js" % version)).read_text()
            self.assertIn('"?%s=1"' % failover["RetryQuery"], tracker)
        origins = distribution()["Origins"]
        home = origins[0]
        other = next(o["Fn::If"] for o in origins if "Fn::If" in o)
        self.assertEqual(other[0], "HasFailoverOrigin")
        other = other[1]
        self.assertEqual((home["Id"], other["Id"]), (failover["HomeOriginId"], failover["FailoverOriginId"]))
        for origin in [home, other]:
            self.assertEqual(origin["ConnectionAttempts"], failover["ConnectionAttempts"])
            self.assertEqual(origin["ConnectionTimeout"], failover["ConnectionTimeout"])
            self.assertEqual(origin["CustomOriginConfig"]["OriginReadTimeout"], failover["OriginReadTimeout"])
            self.assertEqual(origin["OriginAccessControlId"], {"Fn::GetAtt": ["OriginAccessControl", "Id"]})
        # A read may wait out the timeouts only if the origin gives up first.
        self.assertGreater(failover["OriginReadTimeout"], props("OriginFunction")["Timeout"])

    def test_no_behaviour_that_allows_writes_targets_an_origin_group(self):
        # A cache behaviour whose target is an origin group may not allow POST, PUT,
        # PATCH or DELETE; folio's groups are made per request by the function.
        self.assertNotIn("OriginGroups", distribution())
        behaviours = [distribution()["DefaultCacheBehavior"], *distribution()["CacheBehaviors"]]
        origin_ids = {o["Id"] for o in distribution()["Origins"] if "Id" in o}
        for behaviour in behaviours:
            self.assertIn(behaviour["TargetOriginId"], origin_ids)

    def test_cache_key_parameters_agree_everywhere(self):
        policies = json.loads(folio("cloudfront-policies"))
        rust_list = policies["cachePolicy"]["QueryStrings"]
        js = (ROOT / "cloudfront/viewer-request.js").read_text()
        js_list = json.loads(re.search(r"var KNOWN_QUERY_PARAMS = (\[.*?\]);", js).group(1))
        policy = props("ApiCachePolicy")["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
        self.assertEqual(js_list, rust_list)
        self.assertEqual(policy["QueryStringsConfig"]["QueryStrings"], rust_list)
        self.assertEqual(policy["HeadersConfig"]["Headers"], policies["cachePolicy"]["Headers"])

    def test_cache_policy_ttls_are_the_ones_the_stand_in_applies(self):
        policies = json.loads(folio("cloudfront-policies"))["cachePolicy"]
        config = props("ApiCachePolicy")["CachePolicyConfig"]
        for ttl in ["MinTTL", "DefaultTTL", "MaxTTL"]:
            self.assertEqual(config[ttl], policies[ttl], ttl)

    def test_origin_request_policy_is_the_one_definition_in_both_edge_positions(self):
        policies = json.loads(folio("cloudfront-policies"))["originRequestPolicy"]
        headers = props("ApiOriginRequestPolicy")["OriginRequestPolicyConfig"]["HeadersConfig"]["Headers"]
        condition, at_viewer, at_origin = headers["Fn::If"]
        self.assertEqual(condition, "EdgeOnViewerRequest")
        self.assertEqual(at_viewer, policies["HeadersWithEdgeAtViewerRequest"])
        self.assertEqual(at_origin, policies["Headers"])
        self.assertNotIn(json.loads(folio("cloudfront-policies"))["callerTokenHeader"], at_origin,
                         "at origin-request a viewer's copy of the hand-off header must never be forwarded")

    def test_cors_and_security_headers_are_the_one_definition(self):
        policies = json.loads(folio("cloudfront-policies"))
        config = props("ApiResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]
        cors = config["CorsConfig"]
        for key in ["AccessControlAllowMethods", "AccessControlAllowHeaders", "AccessControlExposeHeaders"]:
            self.assertEqual(cors[key]["Items"], policies["cors"][key], key)
        self.assertEqual(cors["AccessControlMaxAgeSec"], policies["cors"]["AccessControlMaxAgeSec"])
        security = dict(policies["securityHeaders"])
        self.assertEqual(config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"],
                         security["content-security-policy"])
        self.assertEqual(config["SecurityHeadersConfig"]["FrameOptions"]["FrameOption"], security["x-frame-options"])
        self.assertEqual(config["SecurityHeadersConfig"]["ReferrerPolicy"]["ReferrerPolicy"], security["referrer-policy"])
        # Override: false exactly where the origin may send its own (the console's CSP).
        by_header = {
            "strict-transport-security": "StrictTransportSecurity",
            "x-content-type-options": "ContentTypeOptions",
            "x-frame-options": "FrameOptions",
            "referrer-policy": "ReferrerPolicy",
            "content-security-policy": "ContentSecurityPolicy",
        }
        self.assertEqual(sorted(by_header), sorted(security))
        for name, key in by_header.items():
            self.assertEqual(config["SecurityHeadersConfig"][key]["Override"],
                             name not in policies["securityHeadersOriginMaySet"], name)

    def test_the_user_pool_password_policy_is_the_one_folio_enforces(self):
        policy = json.loads(folio("owner", "password-policy"))
        self.assertEqual(props("UserPool")["Policies"]["PasswordPolicy"], policy)

    def test_error_caching_is_the_one_the_stand_in_applies(self):
        policies = json.loads(folio("cloudfront-policies"))
        self.assertEqual(distribution()["CustomErrorResponses"], policies["errorCachingMinTTL"])

    def test_the_edge_sits_only_on_request_events(self):
        # Origin-response events carry no body ("Lambda@Edge event structure"):
        # the edge has nothing to do there.
        associations = json.dumps(distribution()["DefaultCacheBehavior"]["LambdaFunctionAssociations"])
        self.assertNotIn("origin-response", associations)
        self.assertNotIn("viewer-response", associations)

    def test_oac_signs_always_so_the_token_travels_in_the_hand_off_header(self):
        oac = props("OriginAccessControl")["OriginAccessControlConfig"]
        self.assertEqual(oac["SigningBehavior"], "always")
        self.assertEqual(oac["OriginAccessControlOriginType"], "lambda")
        self.assertEqual(props("OriginFunctionUrl")["AuthType"], "AWS_IAM")

    def test_your_own_domain_is_optional_and_complete_when_given(self):
        params = TEMPLATE["Parameters"]
        for name in ["DomainName", "CertificateArn", "HostedZoneId"]:
            self.assertEqual(params[name]["Default"], "", f"{name} is optional")
        self.assertIn("us-east-1", params["CertificateArn"]["AllowedPattern"], "CloudFront reads ACM in us-east-1 only")
        rule = TEMPLATE["Rules"]["DomainNeedsCertificate"]
        self.assertEqual(rule["Assertions"][0]["Assert"], {"Fn::Not": [{"Fn::Equals": [{"Ref": "CertificateArn"}, ""]}]})
        config = props("Distribution")["DistributionConfig"]
        self.assertEqual(config["Aliases"], {"Fn::If": ["HasDomain", [{"Ref": "DomainName"}], {"Ref": "AWS::NoValue"}]})
        with_domain, without = config["ViewerCertificate"]["Fn::If"][1:]
        self.assertEqual(with_domain, {"AcmCertificateArn": {"Ref": "CertificateArn"}, "SslSupportMethod": "sni-only",
                                       "MinimumProtocolVersion": "TLSv1.2_2021"})
        self.assertEqual(without, {"CloudFrontDefaultCertificate": True})
        records = RESOURCES["DomainRecords"]
        self.assertEqual(records["Condition"], "HasDomainRecords")
        self.assertEqual(sorted(r["Type"] for r in records["Properties"]["RecordSets"]), ["A", "AAAA"])
        for record in records["Properties"]["RecordSets"]:
            self.assertEqual(record["Name"], {"Ref": "DomainName"})
            self.assertEqual(record["AliasTarget"], {"DNSName": {"Fn::GetAtt": ["Distribution", "DomainName"]},
                                                     "HostedZoneId": "Z2FDTNDATAQYW2"})
        # The API's address follows the domain: scripts/deploy passes it on as
        # PublicApiUrl, which the feeds' self links and MEDIA_URL use.
        api_url = TEMPLATE["Outputs"]["ApiUrl"]["Value"]["Fn::If"]
        self.assertEqual(api_url[0], "HasDomain")
        self.assertEqual(api_url[1], {"Fn::Sub": "https://${DomainName}"})
        deploy = (ROOT / "scripts" / "deploy").read_text()
        self.assertIn('PublicApiUrl="$(output ApiUrl)"', deploy)
        for name in ["DomainName", "CertificateArn", "HostedZoneId"]:
            self.assertIn(name, deploy, f"scripts/deploy passes {name} on")

    def test_refresh_tokens_rotate_and_a_spent_one_ends_at_once(self):
        # The origin refreshes with GetTokensFromRefreshToken (origin/src/adapters/aws/cognito.rs),
        # which rotates only when the app client says so; scripts/moto_server.py stands in for it.
        client = props("UserPoolClient")
        self.assertEqual(client["RefreshTokenRotation"], {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0})
        self.assertIn("ALLOW_REFRESH_TOKEN_AUTH", client["ExplicitAuthFlows"])

    def test_the_origin_runs_on_the_aws_adapters_by_name(self):
        variables = props("OriginFunction")["Environment"]["Variables"]
        self.assertEqual(variables.get("FOLIO_ADAPTERS"), "aws")
        for name in ["TABLE_NAME", "USER_POOL_ID", "USER_POOL_CLIENT_ID"]:
            self.assertIn(name, variables)

    def test_every_setting_the_template_owns_is_set_by_the_template(self):
        # `folio settings --json` is the catalogue of shared/src/settings.rs: every setting, who reads it.
        settings = json.loads(folio("settings", "--json"))
        owned = {s["name"] for s in settings if s["readBy"] in ("template", "everywhere")}
        self.assertTrue({"SITE_URL", "WEBHOOK_URLS", "WEBHOOK_SECRET", "MEDIA_BUCKET", "TABLE_NAME"} <= owned, owned)
        self.assertTrue(TEMPLATE["Parameters"]["WebhookSecret"].get("NoEcho"), "the secret is NoEcho")
        variables = props("OriginFunction")["Environment"]["Variables"]
        for name in owned:
            self.assertIn(name, variables, f"the origin reads {name}; the template never sets it")
            if name != "OWNER_GROUP":
                self.assertEqual(set(variables[name]), {"Ref"}, name)
                self.assertIn(variables[name]["Ref"], {**TEMPLATE["Parameters"], **RESOURCES, "AWS::Region": None})
        for name in variables:
            self.assertIn(name, {s["name"] for s in settings}, f"the template sets {name}, which folio never reads")

    def test_the_scheduler_ticks_the_origin_every_minute_with_least_privilege(self):
        schedule = props("TickSchedule")
        self.assertEqual(schedule["ScheduleExpression"], "rate(1 minute)")
        target = schedule["Target"]
        self.assertEqual(target["Arn"], {"Fn::GetAtt": ["OriginFunction", "Arn"]})
        # The payload is the origin's tick, as origin/src/usecases/scheduler.rs defines it.
        source = (ROOT / "origin" / "src" / "usecases" / "scheduler.rs").read_text()
        tick = re.search(r'pub const TICK_EVENT: &str = r#"(.*?)"#;', source).group(1)
        self.assertEqual(json.loads(target["Input"]), json.loads(tick))
        self.assertEqual(target["RoleArn"], {"Fn::GetAtt": ["SchedulerRole", "Arn"]})
        role = props("SchedulerRole")
        trust = role["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual([s["Principal"]["Service"] for s in trust], ["scheduler.amazonaws.com"])
        self.assertIn("aws:SourceAccount", trust[0]["Condition"]["StringEquals"])
        statements = [st for p in role["Policies"] for st in p["PolicyDocument"]["Statement"]]
        self.assertEqual([(st["Action"], st["Resource"]) for st in statements],
                         [("lambda:InvokeFunction", {"Fn::GetAtt": ["OriginFunction", "Arn"]})])

    def test_images_live_in_a_private_bucket_read_only_through_this_distribution(self):
        bucket = props("MediaBucket")
        self.assertTrue(all(bucket["PublicAccessBlockConfiguration"].values()))
        # /media/* goes to the bucket, through an S3 Origin Access Control.
        media_rs = (ROOT / "origin" / "src" / "ports" / "media.rs").read_text()
        prefix = re.search(r'pub const MEDIA_PREFIX: &str = "(.*?)";', media_rs).group(1)
        behaviours = distribution()["CacheBehaviors"]
        media = next(b for b in behaviours if b["PathPattern"] == f"/{prefix}*")
        origin = next(o for o in distribution()["Origins"] if o.get("Id") == media["TargetOriginId"])
        self.assertEqual(origin["DomainName"], {"Fn::GetAtt": ["MediaBucket", "RegionalDomainName"]})
        self.assertEqual(origin["OriginAccessControlId"], {"Fn::GetAtt": ["MediaOriginAccessControl", "Id"]})
        self.assertEqual(props("MediaOriginAccessControl")["OriginAccessControlConfig"]["OriginAccessControlOriginType"], "s3")
        self.assertEqual(media["AllowedMethods"], ["GET", "HEAD"])
        # The bucket policy lets this distribution read media/*, and nothing else in.
        statements = props("MediaBucketPolicy")["PolicyDocument"]["Statement"]
        allows = [s for s in statements if s["Effect"] == "Allow"]
        self.assertEqual(len(allows), 1)
        self.assertEqual(allows[0]["Principal"], {"Service": "cloudfront.amazonaws.com"})
        self.assertEqual(allows[0]["Action"], "s3:GetObject")
        self.assertIn(f"/{prefix}*", json.dumps(allows[0]["Resource"]))
        self.assertIn("Distribution", json.dumps(allows[0]["Condition"]["StringEquals"]["AWS:SourceArn"]))
        # The origin may only put objects under media/ (to sign upload URLs).
        statements = [st for p in props("OriginFunction")["Policies"] for st in p["Statement"] if isinstance(st, dict)]
        puts = [st for st in statements if "s3:PutObject" in json.dumps(st.get("Action"))]
        self.assertEqual(len(puts), 1)
        self.assertEqual(puts[0]["Action"], "s3:PutObject")
        self.assertIn(f"/{prefix}*", json.dumps(puts[0]["Resource"]))
        variables = props("OriginFunction")["Environment"]["Variables"]
        self.assertEqual(variables["MEDIA_BUCKET"], {"Ref": "MediaBucket"})

    def test_cache_policy_keys_on_authorization_and_honours_no_store(self):
        config = props("ApiCachePolicy")["CachePolicyConfig"]
        self.assertEqual(config["MinTTL"], 0, "a MinTTL above 0 would override no-store")
        headers = config["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]["Headers"]
        self.assertIn("Authorization", headers)

    def test_origin_gets_the_viewer_address(self):
        headers = props("ApiOriginRequestPolicy")["OriginRequestPolicyConfig"]["HeadersConfig"]["Headers"]
        _, at_viewer, at_origin = headers["Fn::If"]
        self.assertIn("CloudFront-Viewer-Address", at_viewer)
        self.assertIn("CloudFront-Viewer-Address", at_origin)

    def test_log_groups_have_retention(self):
        for name, resource in RESOURCES.items():
            if resource["Type"] == "AWS::Logs::LogGroup":
                self.assertIn("RetentionInDays", resource["Properties"], name)


class Alarms(unittest.TestCase):
    def test_the_design_metrics_have_alarms(self):
        metrics = {
            (r["Properties"]["Namespace"], r["Properties"]["MetricName"])
            for r in RESOURCES.values()
            if r["Type"] == "AWS::CloudWatch::Alarm"
        }
        for wanted in [
            ("AWS/Lambda", "Errors"),
            ("AWS/Lambda", "Duration"),
            ("AWS/Lambda", "Throttles"),
            ("AWS/CloudFront", "4xxErrorRate"),
            ("AWS/CloudFront", "5xxErrorRate"),
            ("AWS/DynamoDB", "ThrottledRequests"),
        ]:
            self.assertIn(wanted, metrics)


def cost_model():
    spec = importlib.util.spec_from_file_location("cost", ROOT / "scripts/cost.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Cost(unittest.TestCase):
    def test_the_default_stack_costs_at_most_a_dollar_at_50000_requests_with_its_alarms_on(self):
        cost = cost_model()
        template, params = cost.load({})
        self.assertEqual(params["Alarms"], "on")
        lines = cost.lines(template, params, 50_000)
        alarms = [line for line in lines if line[0] == "CloudWatch alarms"]
        self.assertAlmostEqual(alarms[0][2], 0.6, msg="six alarms are counted")
        total = sum(line[2] for line in lines)
        self.assertLessEqual(total, 1.00, lines)

    def test_deploy_md_shows_the_table_the_cost_model_computes(self):
        cost = cost_model()
        template, params = cost.load({})
        text = (ROOT / "docs/DEPLOY.md").read_text()
        shown = text.split("<!-- cost:begin -->\n")[1].split("\n<!-- cost:end -->")[0]
        self.assertEqual(shown, cost.markdown(template, params),
                         "run .venv/bin/python scripts/cost.py and paste its output into docs/DEPLOY.md")

    def test_every_resource_the_template_creates_is_priced_or_known_to_be_free(self):
        cost = cost_model()
        for name, resource in RESOURCES.items():
            kind = resource["Type"]
            self.assertTrue(kind in cost.PRICED_TYPES or kind in cost.FREE_TYPES,
                            f"{name} ({kind}) is not in scripts/cost.py")

    def test_the_costed_custom_metrics_are_the_ones_the_code_writes(self):
        cost = cost_model()
        written = set()
        for path in [*ROOT.glob("origin/src/**/*.rs"), *ROOT.glob("edge/src/**/*.rs")]:
            written |= set(re.findall(r'metrics::count\(\s*"(\w+)"', path.read_text()))
        self.assertEqual(written, set(cost.ORIGIN_METRICS) | set(cost.EDGE_METRICS))
        reasons = re.findall(r'JwtRejection::\w+ => "', (ROOT / "shared/src/jwt/mod.rs").read_text())
        self.assertEqual(cost.EDGE_METRICS["JwtRejected"], len(reasons))

    def test_what_costs_money_and_is_not_needed_can_be_turned_off_and_is_off_by_default(self):
        params = TEMPLATE["Parameters"]
        self.assertEqual(params["CustomMetrics"]["Default"], "off")
        env = props("OriginFunction")["Environment"]["Variables"]
        self.assertEqual(env["FOLIO_METRICS"], {"Ref": "CustomMetrics"})
        cost = cost_model()
        template, off = cost.load({"Alarms": "off", "AlarmEmail": "me@example.com"})
        made = cost.created(template, off)
        self.assertFalse([n for n, r in made.items() if r["Type"] in ("AWS::CloudWatch::Alarm", "AWS::SNS::Topic")])
        template, on = cost.load({"AlarmEmail": "me@example.com"})
        made = cost.created(template, on)
        self.assertEqual(sum(r["Type"] == "AWS::CloudWatch::Alarm" for r in made.values()), 6)
        self.assertIn("AlarmTopic", made)


if __name__ == "__main__":
    unittest.main()


REPLICA, _ = decode_str((ROOT / "replica.yaml").read_text())


class SecondRegion(unittest.TestCase):
    """replica.yaml: the origin in ReplicaRegion1 that reads fail over to."""

    def test_the_second_origin_is_the_same_function_with_the_home_stacks_settings(self):
        home = props("OriginFunction")
        other = REPLICA["Resources"]["OriginFunction"]["Properties"]
        for key in ["CodeUri", "Handler", "Runtime", "Architectures", "MemorySize", "Timeout"]:
            self.assertEqual(other[key], home[key], key)
        settings = json.loads(folio("settings", "--json"))
        owned = {s["name"] for s in settings if s["readBy"] in ("template", "everywhere")}
        # Changes stay home: no invalidations, uploads or hooks from here.
        home_only = {"DISTRIBUTION_ID", "MEDIA_BUCKET", "WEBHOOK_URLS", "WEBHOOK_SECRET"}
        variables = other["Environment"]["Variables"]
        self.assertEqual(set(variables) - {"FOLIO_ADAPTERS"}, owned - home_only)
        self.assertEqual(variables["HOME_REGION"], {"Ref": "HomeRegion"})
        self.assertNotIn("TickSchedule", REPLICA["Resources"], "only the home Region ticks")

    def test_only_the_home_distribution_may_call_it_and_it_may_not_delete(self):
        url = REPLICA["Resources"]["OriginFunctionUrl"]["Properties"]
        self.assertEqual(url["AuthType"], "AWS_IAM")
        permission = REPLICA["Resources"]["OriginUrlFromCloudFront"]["Properties"]
        self.assertEqual(permission["Principal"], "cloudfront.amazonaws.com")
        self.assertIn("DistributionId", refs(permission["SourceArn"]))
        statement = REPLICA["Resources"]["OriginFunction"]["Properties"]["Policies"][0]["Statement"][0]
        self.assertNotIn("dynamodb:DeleteItem", statement["Action"])
        self.assertIn("TableName", refs(statement["Resource"]))

    def test_the_failover_origin_domain_is_what_replica_yaml_outputs(self):
        pattern = TEMPLATE["Parameters"]["FailoverOriginDomain"]["AllowedPattern"]
        self.assertRegex("abcdef0123456789.lambda-url.eu-west-1.on.aws", pattern)
        self.assertNotRegex("https://abc.lambda-url.eu-west-1.on.aws/", pattern)
        self.assertIn("FunctionUrlDomain", REPLICA["Outputs"])
