"""The demo company's estate: Larkspur Pay, a fictional card-payments processor.

ECS on Fargate for the payment API, an EKS cluster for internal tools, ECR, GuardDuty, CloudTrail,
an ALB with TLS, and one Docker Swarm host on EC2 running the legacy batch jobs. Seeded into a
moto server (AWS) and a real Docker daemon, then collected by the real collectors. Some things
are deliberately wrong, as they are in every real estate a week before the assessor arrives.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGIONS = ("eu-west-1", "us-east-1")
LABEL = "io.larkspurpay.demo"
# the read-only role the security team made for evidence collection (the policy auditprep prints)
AUDIT_ROLE = "AuditprepReadOnly"
AUDIT_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{AUDIT_ROLE}"


def seed_aws(session: Any, endpoint: str) -> None:
    """Create the AWS side in moto through boto3 (never against a real account)."""
    region = REGIONS[0]

    def client(name: str, r: str = region) -> Any:
        return session.client(name, region_name=r, endpoint_url=endpoint)

    kms = client("kms")
    ecr_key = kms.create_key(Description="ecr images")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=ecr_key)
    logs_key = kms.create_key(Description="container logs")["KeyMetadata"]["KeyId"]  # rotation left off

    ecr = client("ecr")
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    )
    ecr.create_repository(
        repositoryName="payments/api",
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": ecr_key},
    )
    ecr.put_lifecycle_policy(
        repositoryName="payments/api",
        lifecyclePolicyText=json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 50},
                        "action": {"type": "expire"},
                    }
                ]
            }
        ),
    )
    ecr.create_repository(repositoryName="payments/ledger")  # mutable tags, no lifecycle, AES256
    for repo, tag in (("payments/api", "2026.11.1"), ("payments/ledger", "latest")):
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {
                    "digest": "sha256:" + ("a" if repo.endswith("api") else "b") * 64,
                    "size": 1,
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                },
                "layers": [],
            }
        )
        ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag=tag)

    logs = client("logs")
    logs.create_log_group(logGroupName="/ecs/payments-api", kmsKeyId=f"arn:aws:kms:{region}:{ACCOUNT}:key/{logs_key}")
    logs.put_retention_policy(logGroupName="/ecs/payments-api", retentionInDays=400)
    logs.create_log_group(logGroupName="/ecs/payments-ledger")
    logs.put_retention_policy(logGroupName="/ecs/payments-ledger", retentionInDays=30)

    iam = session.client("iam", region_name="us-east-1", endpoint_url=endpoint)
    iam.create_role(
        RoleName="payments-api-task",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    eks_role = iam.create_role(
        RoleName="platform-eks",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]

    ecs = client("ecs")
    ecs.create_cluster(
        clusterName="payments-prod",
        settings=[{"name": "containerInsights", "value": "enabled"}],
        configuration={
            "executeCommandConfiguration": {
                "logging": "OVERRIDE",
                "kmsKeyId": logs_key,
                "logConfiguration": {
                    "cloudWatchLogGroupName": "/ecs/payments-api",
                    "cloudWatchEncryptionEnabled": True,
                },
            }
        },
    )
    registry = f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com"
    api = ecs.register_task_definition(
        family="payments-api",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="512",
        memory="1024",
        taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/payments-api-task",
        containerDefinitions=[
            {
                "name": "api",
                "image": f"{registry}/payments/api@sha256:{'a' * 64}",
                "essential": True,
                "user": "10001",
                "readonlyRootFilesystem": True,
                "privileged": False,
                "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": "/ecs/payments-api", "awslogs-region": region},
                },
                "environment": [{"name": "LOG_LEVEL", "value": "info"}],
                "secrets": [
                    {"name": "DB_PASSWORD", "valueFrom": f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:db"}
                ],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ledger = ecs.register_task_definition(
        family="payments-ledger",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "ledger",
                "image": f"{registry}/payments/ledger:latest",
                "essential": True,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": "/ecs/payments-ledger", "awslogs-region": region},
                },
                "environment": [
                    {"name": "LEDGER_API_TOKEN", "value": "demo-secret-value-never-stored"},
                    {"name": "REGION", "value": region},
                ],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    subnet2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone=f"{region}b")["Subnet"][
        "SubnetId"
    ]
    sg = ec2.create_security_group(GroupName="payments-api", Description="api tasks", VpcId=vpc)["GroupId"]
    for name, td, public in (("payments-api", api, "DISABLED"), ("payments-ledger", ledger, "ENABLED")):
        ecs.create_service(
            cluster="payments-prod",
            serviceName=name,
            taskDefinition=td,
            desiredCount=2,
            launchType="FARGATE",
            platformVersion="LATEST",
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg], "assignPublicIp": public}
            },
        )

    eks = client("eks")
    eks.create_cluster(
        name="platform-tools",
        version="1.32",  # past standard support (March 2026): in paid extended support
        roleArn=eks_role,
        resourcesVpcConfig={
            "subnetIds": [subnet, subnet2],
            "endpointPublicAccess": True,
            "endpointPrivateAccess": True,
            "publicAccessCidrs": ["0.0.0.0/0"],
        },
        logging={"clusterLogging": [{"types": ["api", "audit", "authenticator"], "enabled": True}]},
        encryptionConfig=[
            {"resources": ["secrets"], "provider": {"keyArn": f"arn:aws:kms:{region}:{ACCOUNT}:key/{ecr_key}"}}
        ],
    )

    gd = client("guardduty")
    gd.create_detector(
        Enable=True,
        Features=[
            {
                "Name": "RUNTIME_MONITORING",
                "Status": "ENABLED",
                "AdditionalConfiguration": [
                    {"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "ENABLED"},
                    {"Name": "EKS_ADDON_MANAGEMENT", "Status": "DISABLED"},
                ],
            },
            {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
        ],
    )

    s3 = client("s3")
    s3.create_bucket(Bucket="larkspur-audit-trail", CreateBucketConfiguration={"LocationConstraint": region})
    trail = client("cloudtrail")
    trail.create_trail(
        Name="org-trail",
        S3BucketName="larkspur-audit-trail",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=logs_key,
    )
    # what AWS returns for a trail created without custom selectors: all management events
    trail.put_event_selectors(
        TrailName="org-trail",
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}],
    )
    trail.start_logging(Name="org-trail")

    config = client("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )

    acm = client("acm")
    cert = acm.request_certificate(DomainName="pay.larkspur.example")["CertificateArn"]
    elb = client("elbv2")
    lb = elb.create_load_balancer(
        Name="payments-public",
        Subnets=[subnet, subnet2],
        SecurityGroups=[sg],
        Scheme="internet-facing",
        Type="application",
    )["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="payments-api", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    elb.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTPS",
        Port=443,
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        Certificates=[{"CertificateArn": cert}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )
    elb.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
        ],
    )
    legacy = elb.create_load_balancer(
        Name="partner-legacy",
        Subnets=[subnet, subnet2],
        SecurityGroups=[sg],
        Scheme="internet-facing",
        Type="application",
    )["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(
        LoadBalancerArn=legacy,
        Protocol="HTTPS",
        Port=443,
        SslPolicy="ELBSecurityPolicy-2016-08",
        Certificates=[{"CertificateArn": cert}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )

    # the second region: GuardDuty was never switched on there
    client("ecs", REGIONS[1]).create_cluster(clusterName="dr-standby")

    from auditprep.collect.aws import iam_policy

    iam.create_role(
        RoleName=AUDIT_ROLE,
        Description="Read-only evidence collection for the PCI DSS assessment",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    iam.put_role_policy(RoleName=AUDIT_ROLE, PolicyName="auditprep-read", PolicyDocument=json.dumps(iam_policy()))


def audit_role_environment(session: Any, endpoint: str) -> dict[str, str]:
    """Credentials of the audit role, as a team's profile with ``role_arn`` would give them."""
    sts = session.client("sts", region_name=REGIONS[0], endpoint_url=endpoint)
    creds = sts.assume_role(RoleArn=AUDIT_ROLE_ARN, RoleSessionName="auditprep")["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }


def _rootfs_tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        busybox = Path("/usr/bin/busybox").read_bytes()
        entries = {"bin/busybox": busybox, "bin/sh": busybox, **files}
        for folder in sorted({str(Path(n).parent) for n in entries} | {"tmp"}):
            parts = Path(folder).parts
            for i in range(1, len(parts) + 1):
                sub = "/".join(parts[:i])
                if sub not in tar.getnames():
                    info = tarfile.TarInfo(sub)
                    info.type, info.mode = tarfile.DIRTYPE, 0o1777 if sub == "tmp" else 0o755
                    tar.addfile(info)
        for name, data in {"bin/busybox": busybox, "bin/sh": busybox, **files}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if name.startswith("bin/") else 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


DPKG_STATUS = """Package: libssl1.0.0
Status: install ok installed
Version: 1.0.1e-2+deb7u4
Architecture: amd64

Package: base-files
Status: install ok installed
Version: 7.1wheezy8
Architecture: amd64
"""
OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 7 (wheezy)"\nNAME="Debian GNU/Linux"\nVERSION_ID="7"\nID=debian\n'


def seed_docker(client: Any) -> list[str]:
    """A Swarm host running legacy batch jobs. Returns the ids of everything created, for cleanup."""
    created: list[str] = []
    client.api.import_image_from_data(
        _rootfs_tar({"etc/os-release": OS_RELEASE.encode(), "var/lib/dpkg/status": DPKG_STATUS.encode()}),
        repository="larkspur/settlement-batch",
        tag="2019.4",
        changes=['CMD ["/bin/sh", "-c", "sleep 3600"]'],
    )
    client.api.import_image_from_data(
        _rootfs_tar(
            {
                "etc/os-release": b'ID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n',
                "lib/apk/db/installed": b"P:musl\nV:1.2.5-r0\n\nP:libssl3\nV:3.3.2-r0\n\n",
            }
        ),
        repository="larkspur/reports",
        tag="2026.11",
        changes=[
            "USER 1000",
            'CMD ["/bin/sh", "-c", "sleep 3600"]',
            'HEALTHCHECK --interval=30s CMD ["/bin/sh", "-c", "true"]',
        ],
    )
    labels = {LABEL: "1"}
    c = client.containers.create(
        "larkspur/settlement-batch:2019.4",
        name="settlement-batch",
        privileged=True,
        environment={"SFTP_PASSWORD": "demo-secret-value-never-stored"},
        labels=labels,
        volumes={"/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"}},
    )
    created.append(c.id)
    c = client.containers.run(
        "larkspur/reports:2026.11",
        name="reports",
        detach=True,
        read_only=True,
        user="1000",
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        mem_limit="128m",
        pids_limit=64,
        restart_policy={"Name": "on-failure", "MaximumRetryCount": 3},
        labels=labels,
        network_mode="none",
    )
    created.append(c.id)
    if client.info().get("Swarm", {}).get("LocalNodeState") != "active":
        client.swarm.init(advertise_addr="127.0.0.1")
        created.append("swarm")  # ours to leave again; a swarm that was already there stays
    client.networks.create("settlement-net", driver="overlay", labels=labels)
    client.networks.create("reports-net", driver="overlay", options={"encrypted": ""}, labels=labels)
    return created


def cleanup_docker(client: Any, created: list[str]) -> None:
    for c in client.containers.list(all=True, filters={"label": LABEL}):
        c.remove(force=True)
    for n in client.networks.list(filters={"label": LABEL}):
        n.remove()
    for ref in ("larkspur/settlement-batch:2019.4", "larkspur/reports:2026.11"):
        try:
            client.images.remove(ref, force=True)
        except Exception:  # noqa: BLE001 - already gone
            pass
    if "swarm" in created:
        try:
            client.swarm.leave(force=True)
        except Exception:  # noqa: BLE001 - not in a swarm
            pass
