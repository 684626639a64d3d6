"""A small AWS estate planted in moto: each misconfiguration next to its corrected twin.

Account A (the default credentials) holds most of it across two regions; account B is reached by
assuming a role and holds a little of its own, to prove per-account state is kept apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ACCOUNT_A = "123456789012"
ACCOUNT_B = "210987654321"
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/auditor"
R1, R2 = "us-east-1", "eu-west-1"

PLANTED_SECRET = "planted-s3cr3t-value-9f8e7d6c5b4a"
NOW = dt.datetime.now(dt.UTC)


@dataclass
class World:
    names: dict[str, str] = field(default_factory=dict)  # label -> resource id (ARN etc.)
    digests: dict[str, str] = field(default_factory=dict)


def client(service: str, region: str, session: boto3.session.Session | None = None) -> Any:
    return (session or boto3.session.Session()).client(service, region_name=region)


def session_b() -> boto3.session.Session:
    creds = client("sts", R1).assume_role(RoleArn=ROLE_B, RoleSessionName="seed")["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def _manifest(seed: str) -> str:
    layer = "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7, "digest": layer},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 7, "digest": layer}],
        }
    )


def _cert(domain: str, days_left: int) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=30))
        .not_valid_after(NOW + dt.timedelta(days=days_left))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def plant(moto_api: Any) -> World:
    w = World()
    _plant_kms_and_logs(w)
    _plant_ecr(w)
    _plant_ecs(w)
    _plant_eks(w)
    _plant_detection(w)
    _plant_cloudtrail(w)
    _plant_tls(w)
    _plant_inspector_findings(w, moto_api)
    _plant_account_b(w)
    return w


def _plant_kms_and_logs(w: World) -> None:
    kms = client("kms", R1)
    rotating = kms.create_key(Description="rotating")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=rotating)
    static = kms.create_key(Description="static")["KeyMetadata"]["Arn"]
    w.names.update(key_rotating=rotating, key_static=static)
    logs = client("logs", R1)
    for name, days, key in (
        ("/ecs/web", 400, rotating),  # good: 400 days, KMS
        ("/ecs/exec", None, rotating),  # good: never expires, KMS
        ("/aws/eks/eks-bad/cluster", 30, None),  # bad: 30 days, no KMS
        ("/aws/eks/eks-good/cluster", 731, rotating),
        ("/trail/org", 365, rotating),
        ("/ecs/orphan", 30, None),  # bad: a container log group no collected resource references
    ):
        kwargs = {"kmsKeyId": key} if key else {}
        logs.create_log_group(logGroupName=name, **kwargs)
        if days:
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)
        w.names[f"log:{name}"] = f"arn:aws:logs:{R1}:{ACCOUNT_A}:log-group:{name}"


def _plant_ecr(w: World) -> None:
    ecr = client("ecr", R1)
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    )
    good = ecr.create_repository(
        repositoryName="app-good",
        imageTagMutability="IMMUTABLE",
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": w.names["key_static"]},
    )["repository"]
    ecr.put_lifecycle_policy(
        repositoryName="app-good",
        lifecyclePolicyText=json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "selection": {
                            "tagStatus": "untagged",
                            "countType": "sinceImagePushed",
                            "countUnit": "days",
                            "countNumber": 14,
                        },
                        "action": {"type": "expire"},
                    }
                ]
            }
        ),
    )
    bad = ecr.create_repository(repositoryName="app-bad", imageTagMutability="MUTABLE")["repository"]
    w.names.update(repo_good=good["repositoryArn"], repo_bad=bad["repositoryArn"])
    img_good = ecr.put_image(repositoryName="app-good", imageManifest=_manifest("good"), imageTag="1.4.2")
    img_bad = ecr.put_image(repositoryName="app-bad", imageManifest=_manifest("bad"), imageTag="latest")
    w.digests.update(good=img_good["image"]["imageId"]["imageDigest"], bad=img_bad["image"]["imageId"]["imageDigest"])
    w.names.update(
        image_good=f"{good['repositoryUri']}@{w.digests['good']}",
        image_bad=f"{bad['repositoryUri']}@{w.digests['bad']}",
        uri_good=good["repositoryUri"],
        uri_bad=bad["repositoryUri"],
    )
    ecr.start_image_scan(repositoryName="app-bad", imageId={"imageTag": "latest"})
    ecr.start_image_scan(repositoryName="app-good", imageId={"imageTag": "1.4.2"})
    # region 2: basic scanning, no rules (moto's default registry configuration)
    client("ecr", R2).create_repository(repositoryName="other")


def _network(region: str, session: boto3.session.Session | None = None) -> tuple[list[str], str, str]:
    ec2 = client("ec2", region, session)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    sg = ec2.create_security_group(GroupName="svc", Description="svc", VpcId=vpc)["GroupId"]
    return subnets, sg, vpc


def _plant_ecs(w: World) -> None:
    ecs = client("ecs", R1)
    subnets, sg, _ = _network(R1)
    w.names["subnets"] = ",".join(subnets)
    good = ecs.create_cluster(
        clusterName="prod",
        settings=[{"name": "containerInsights", "value": "enabled"}],
        configuration={
            "executeCommandConfiguration": {
                "kmsKeyId": w.names["key_rotating"],
                "logging": "OVERRIDE",
                "logConfiguration": {"cloudWatchLogGroupName": "/ecs/exec", "cloudWatchEncryptionEnabled": True},
            }
        },
    )["cluster"]["clusterArn"]
    bad = ecs.create_cluster(
        clusterName="legacy",
        settings=[{"name": "containerInsights", "value": "disabled"}],
        configuration={"executeCommandConfiguration": {"logging": "NONE"}},
    )["cluster"]["clusterArn"]
    w.names.update(cluster_good=good, cluster_bad=bad)

    td_bad = ecs.register_task_definition(
        family="web-bad",
        networkMode="host",
        pidMode="host",
        ipcMode="host",
        requiresCompatibilities=["EC2"],
        containerDefinitions=[
            {
                "name": "app",
                "image": f"{w.names['uri_bad']}:latest",
                "memory": 256,
                "privileged": True,
                "readonlyRootFilesystem": False,
                "linuxParameters": {"capabilities": {"add": ["SYS_ADMIN", "NET_ADMIN"]}},
                "environment": [
                    {"name": "AWS_SECRET_ACCESS_KEY", "value": PLANTED_SECRET},
                    {"name": "GREETING", "value": "hello"},
                ],
                "command": ["serve", f"--api-key={PLANTED_SECRET}"],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    td_good = ecs.register_task_definition(
        family="web-good",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "app",
                "image": f"{w.names['uri_good']}@{w.digests['good']}",
                "user": "1000",
                "privileged": False,
                "readonlyRootFilesystem": True,
                "linuxParameters": {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}},
                "environment": [{"name": "LOG_LEVEL", "value": "info"}],
                "secrets": [
                    {"name": "DB_PASSWORD", "valueFrom": f"arn:aws:secretsmanager:{R1}:{ACCOUNT_A}:secret:db-AbCdEf"}
                ],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": "/ecs/web", "awslogs-region": R1, "awslogs-stream-prefix": "web"},
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    w.names.update(td_bad=td_bad, td_good=td_good)

    net = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}}
    svc_bad = ecs.create_service(
        cluster="legacy",
        serviceName="svc-bad",
        taskDefinition="web-bad",
        desiredCount=0,
        launchType="EC2",
    )["service"]["serviceArn"]
    svc_public = ecs.create_service(
        cluster="prod",
        serviceName="svc-public",
        taskDefinition="web-good",
        desiredCount=0,
        launchType="FARGATE",
        platformVersion="1.3.0",
        networkConfiguration={"awsvpcConfiguration": {**net["awsvpcConfiguration"], "assignPublicIp": "ENABLED"}},
    )["service"]["serviceArn"]
    svc_good = ecs.create_service(
        cluster="prod",
        serviceName="svc-good",
        taskDefinition="web-good",
        desiredCount=0,
        launchType="FARGATE",
        platformVersion="LATEST",
        networkConfiguration={"awsvpcConfiguration": {**net["awsvpcConfiguration"], "assignPublicIp": "DISABLED"}},
    )["service"]["serviceArn"]
    w.names.update(svc_bad=svc_bad, svc_public=svc_public, svc_good=svc_good)


def _plant_eks(w: World) -> None:
    eks = client("eks", R1)
    role = f"arn:aws:iam::{ACCOUNT_A}:role/eks"
    subnets = w.names["subnets"].split(",")
    bad = eks.create_cluster(
        name="eks-bad",
        version="1.27",
        roleArn=role,
        resourcesVpcConfig={
            "subnetIds": subnets,
            "endpointPublicAccess": True,
            "endpointPrivateAccess": False,
            "publicAccessCidrs": ["0.0.0.0/0"],
        },
        logging={
            "clusterLogging": [
                {"types": ["api"], "enabled": True},
                {"types": ["audit", "authenticator", "controllerManager", "scheduler"], "enabled": False},
            ]
        },
    )["cluster"]["arn"]
    good = eks.create_cluster(
        name="eks-good",
        version="1.33",
        roleArn=role,
        resourcesVpcConfig={"subnetIds": subnets, "endpointPublicAccess": False, "endpointPrivateAccess": True},
        logging={
            "clusterLogging": [
                {"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": True}
            ]
        },
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": w.names["key_static"]}}],
    )["cluster"]["arn"]
    eks.create_nodegroup(
        clusterName="eks-good",
        nodegroupName="workers",
        subnets=subnets,
        nodeRole=f"arn:aws:iam::{ACCOUNT_A}:role/node",
        amiType="BOTTLEROCKET_x86_64",
    )
    w.names.update(eks_bad=bad, eks_good=good)
    # region 2: a well-configured cluster where GuardDuty does not analyse EKS audit logs
    key_r2 = client("kms", R2).create_key(Description="eks-r2")["KeyMetadata"]["Arn"]
    client("kms", R2).enable_key_rotation(KeyId=key_r2)
    w.names["eks_r2"] = client("eks", R2).create_cluster(
        name="eks-r2",
        version="1.33",
        roleArn=role,
        resourcesVpcConfig={"subnetIds": ["subnet-r2"], "endpointPublicAccess": False, "endpointPrivateAccess": True},
        logging={
            "clusterLogging": [
                {"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": True}
            ]
        },
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": key_r2}}],
    )["cluster"]["arn"]


def _plant_detection(w: World) -> None:
    gd = client("guardduty", R1)
    det = gd.create_detector(
        Enable=True,
        Features=[
            {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
            {
                "Name": "RUNTIME_MONITORING",
                "Status": "ENABLED",
                "AdditionalConfiguration": [
                    {"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "ENABLED"},
                    {"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"},
                    {"Name": "EC2_AGENT_MANAGEMENT", "Status": "ENABLED"},
                ],
            },
        ],
    )["DetectorId"]
    w.names["detector_good"] = f"arn:aws:guardduty:{R1}:{ACCOUNT_A}:detector/{det}"
    # region 2: GuardDuty on but without runtime monitoring or EKS audit logs
    det2 = client("guardduty", R2).create_detector(
        Enable=True,
        Features=[
            {"Name": "EKS_AUDIT_LOGS", "Status": "DISABLED"},
            {"Name": "RUNTIME_MONITORING", "Status": "DISABLED"},
        ],
    )["DetectorId"]
    w.names["detector_bad"] = f"arn:aws:guardduty:{R2}:{ACCOUNT_A}:detector/{det2}"
    client("securityhub", R1).enable_security_hub(EnableDefaultStandards=False)
    s3 = client("s3", R1)
    s3.create_bucket(Bucket="audit-trail-bucket")
    cfg = client("config", R1)
    cfg.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{ACCOUNT_A}:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "audit-trail-bucket"})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    cfg2 = client("config", R2)  # recorder defined but never started, and only two resource types
    cfg2.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{ACCOUNT_A}:role/config",
            "recordingGroup": {
                "allSupported": False,
                "includeGlobalResourceTypes": False,
                "resourceTypes": ["AWS::EC2::Instance", "AWS::S3::Bucket"],
            },
        }
    )
    i2 = client("inspector2", R1)
    i2.enable(resourceTypes=["ECR", "EC2"], accountIds=[ACCOUNT_A])


def _plant_cloudtrail(w: World) -> None:
    ct = client("cloudtrail", R1)
    org = ct.create_trail(
        Name="org-trail",
        S3BucketName="audit-trail-bucket",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=w.names["key_rotating"],
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{R1}:{ACCOUNT_A}:log-group:/trail/org:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT_A}:role/trail",
    )["TrailARN"]
    ct.put_event_selectors(
        TrailName="org-trail", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    ct.start_logging(Name="org-trail")
    client("s3", R2).create_bucket(Bucket="local-trail-bucket", CreateBucketConfiguration={"LocationConstraint": R2})
    ct2 = client("cloudtrail", R2)
    local = ct2.create_trail(Name="local-trail", S3BucketName="local-trail-bucket")["TrailARN"]
    w.names.update(trail_good=org, trail_bad=local)


def _plant_tls(w: World) -> None:
    acm = client("acm", R1)
    cert_ok, key_ok = _cert("ok.example.com", 365)
    cert_soon, key_soon = _cert("soon.example.com", 10)
    ok = acm.import_certificate(Certificate=cert_ok, PrivateKey=key_ok)["CertificateArn"]
    soon = acm.import_certificate(Certificate=cert_soon, PrivateKey=key_soon)["CertificateArn"]
    w.names.update(cert_ok=ok, cert_soon=soon)
    elb = client("elbv2", R1)
    subnets = w.names["subnets"].split(",")
    lb = elb.create_load_balancer(Name="web-lb", Subnets=subnets, Scheme="internet-facing", Type="application")
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(
        Name="web",
        Protocol="HTTP",
        Port=80,
        VpcId=client("ec2", R1).describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"],
        TargetType="ip",
    )["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": tg}]
    redirect = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
    listeners = {
        "http_plain": dict(Protocol="HTTP", Port=80, DefaultActions=forward),
        "http_redirect": dict(Protocol="HTTP", Port=8080, DefaultActions=redirect),
        "https_modern": dict(
            Protocol="HTTPS",
            Port=443,
            DefaultActions=forward,
            SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
            Certificates=[{"CertificateArn": ok}],
        ),
        "https_legacy": dict(
            Protocol="HTTPS",
            Port=8443,
            DefaultActions=forward,
            SslPolicy="ELBSecurityPolicy-2016-08",
            Certificates=[{"CertificateArn": ok}],
        ),
    }
    listeners["http_rule_forward"] = dict(Protocol="HTTP", Port=8081, DefaultActions=redirect)
    for label, kwargs in listeners.items():
        arn = elb.create_listener(LoadBalancerArn=lb_arn, **kwargs)["Listeners"][0]["ListenerArn"]
        w.names[f"listener_{label}"] = arn
    # redirects by default, but one rule still serves an API path over plain HTTP
    elb.create_rule(
        ListenerArn=w.names["listener_http_rule_forward"],
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
        Actions=forward,
    )
    elb.create_rule(
        ListenerArn=w.names["listener_http_redirect"],
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/old/*"]}],
        Actions=redirect,
    )


def _plant_inspector_findings(w: World, moto_api: Any) -> None:
    def finding(n: int, severity: str, seen_days: int, published_days: int, digest: str, repo: str) -> dict[str, Any]:
        return {
            "findingArn": f"arn:aws:inspector2:{R1}:{ACCOUNT_A}:finding/{n:032x}",
            "awsAccountId": ACCOUNT_A,
            "type": "PACKAGE_VULNERABILITY",
            "title": f"CVE-2024-{n:04d} - openssl",
            "severity": severity,
            "status": "ACTIVE",
            "firstObservedAt": (NOW - dt.timedelta(days=seen_days)).timestamp(),
            "lastObservedAt": NOW.timestamp(),
            "description": "a vulnerable package",
            "remediation": {"recommendation": {"text": "upgrade"}},
            "packageVulnerabilityDetails": {
                "vulnerabilityId": f"CVE-2024-{n:04d}",
                "source": "NVD",
                "vendorCreatedAt": (NOW - dt.timedelta(days=published_days)).timestamp(),
                "vulnerablePackages": [{"name": "openssl", "version": "3.0.1"}],
            },
            "resources": [
                {
                    "type": "AWS_ECR_CONTAINER_IMAGE",
                    "id": f"{repo}/{digest}",
                    "details": {
                        "awsEcrContainerImage": {
                            "imageHash": digest,
                            "repositoryName": repo,
                            "registry": ACCOUNT_A,
                            "architecture": "amd64",
                        }
                    },
                }
            ],
        }

    moto_api(
        "/moto-api/static/inspector2/findings-results",
        {
            "results": [
                [
                    # a freshly built image carrying a months-old critical: overdue for PCI 6.3.3 and RA-5
                    finding(1, "CRITICAL", 5, 200, w.digests["bad"], "app-bad"),
                    finding(2, "MEDIUM", 20, 40, w.digests["good"], "app-good"),  # within the 90-day window
                ]
            ],
            "account_id": ACCOUNT_A,
            "region": R1,
        },
    )
    # the corrected twin's scan: complete, nothing critical or high
    moto_api(
        "/moto-api/static/ecr/scan-finding-results",
        {
            "results": [
                {
                    "registryId": ACCOUNT_A,
                    "repositoryName": "app-good",
                    "imageId": {"imageDigest": w.digests["good"]},
                    "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed successfully."},
                    "imageScanFindings": {"findingSeverityCounts": {"LOW": 2}, "findings": []},
                }
            ],
            "region": R1,
        },
    )


def _plant_account_b(w: World) -> None:
    sb = session_b()
    ecs = client("ecs", R1, sb)
    arn = ecs.create_cluster(clusterName="b-cluster", settings=[{"name": "containerInsights", "value": "disabled"}])
    w.names["b_cluster"] = arn["cluster"]["clusterArn"]
    det = client("guardduty", R1, sb).create_detector(Enable=True)["DetectorId"]
    w.names["b_detector"] = f"arn:aws:guardduty:{R1}:{ACCOUNT_B}:detector/{det}"
