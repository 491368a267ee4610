"""SAM templates for the harness: reading the functions of an official
template (CloudFormation tags included) into `durable serve` function
entries, and writing the template of the C run.

A function of a template becomes one `durable serve` function:
- its physical name is Properties.FunctionName when set, else
  "<prefix>-<LogicalId>";
- Handler gives _HANDLER; DurableConfig.ExecutionTimeout the execution
  timeout; Environment.Variables (Globals first) the environment, with
  !Sub "${X.Arn}", "${X}", "${AWS::Region}", "${AWS::AccountId}",
  !GetAtt X.Arn and !Ref X resolved to the local function X
  (arn:aws:lambda:REGION:ACCOUNT:function:<physical of X>); !Ref of another
  kind of resource (a DynamoDB table) gives "<prefix>-<LogicalId>", though
  no such resource exists here: a handler that uses one fails visibly.
An intrinsic the harness cannot resolve stops the run with its name rather
than reaching the function half-resolved.
"""
import os

import yaml

ACCOUNT = "123456789012"


class CfnLoader(yaml.SafeLoader):
    """PyYAML's safe loader plus the CloudFormation short tags (!Sub, !GetAtt,
    !Ref, ...), read as their long forms ({"Fn::Sub": ...}, {"Ref": ...})."""


def _tag(loader, suffix, node):
    key = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


CfnLoader.add_multi_constructor("!", _tag)


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=CfnLoader) or {}


class TemplateError(Exception):
    pass


class Functions:
    """The functions of one template, resolved for one server."""

    def __init__(self, path, prefix, region):
        self.path, self.region = path, region
        doc = load(path)
        self.globals = ((doc.get("Globals") or {}).get("Function") or {})
        self.resources = {k: v for k, v in (doc.get("Resources") or {}).items()
                          if isinstance(v, dict) and v.get("Type") == "AWS::Serverless::Function"}
        self.physical = {}
        for logical, res in self.resources.items():
            props = res.get("Properties") or {}
            self.physical[logical] = props.get("FunctionName") or "%s-%s" % (prefix, logical)
        # What !Ref gives for the template's other resources (a table's name):
        # named as CloudFormation names them; no such resource is provided.
        self.names = {k: "%s-%s" % (prefix, k) for k in (doc.get("Resources") or {})}
        self.names.update(self.physical)

    def arn(self, logical):
        if logical not in self.physical:
            raise TemplateError("%s: no function %s to resolve" % (self.path, logical))
        return "arn:aws:lambda:%s:%s:function:%s" % (self.region, ACCOUNT, self.physical[logical])

    def _sub(self, text):
        out, pos = [], 0
        while True:
            start = text.find("${", pos)
            if start < 0:
                out.append(text[pos:])
                return "".join(out)
            end = text.find("}", start)
            if end < 0:
                raise TemplateError("%s: unterminated ${ in %r" % (self.path, text))
            out.append(text[pos:start])
            name = text[start + 2:end]
            if name == "AWS::Region":
                out.append(self.region)
            elif name == "AWS::AccountId":
                out.append(ACCOUNT)
            elif name.endswith(".Arn"):
                out.append(self.arn(name[:-4]))
            elif name in self.names:
                out.append(self.names[name])
            else:
                raise TemplateError("%s: cannot resolve ${%s}" % (self.path, name))
            pos = end + 1

    def resolve(self, value):
        if isinstance(value, (str, int, float, bool)):
            return str(value)
        if isinstance(value, dict) and len(value) == 1:
            (key, arg), = value.items()
            if key == "Fn::Sub" and isinstance(arg, str):
                return self._sub(arg)
            if key == "Fn::GetAtt" and isinstance(arg, list) and arg[1:] == ["Arn"]:
                return self.arn(arg[0])
            if key == "Ref" and arg in self.names:
                return self.names[arg]
        raise TemplateError("%s: cannot resolve %r" % (self.path, value))

    def entries(self, command, base_env):
        """{physical: functions-file entry} for `durable serve --functions`."""
        out = {}
        genv = ((self.globals.get("Environment") or {}).get("Variables") or {})
        for logical, res in self.resources.items():
            props = res.get("Properties") or {}
            env = dict(base_env)
            for k, v in genv.items():
                env[k] = self.resolve(v)
            for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items():
                env[k] = self.resolve(v)
            entry = {"Command": command, "Environment": env}
            handler = props.get("Handler") or self.globals.get("Handler")
            if handler:
                entry["Handler"] = str(handler)
            timeout = (props.get("DurableConfig") or {}).get("ExecutionTimeout")
            if timeout is not None:
                entry["ExecutionTimeout"] = int(timeout)
            out[self.physical[logical]] = entry
        return out

    def descriptions(self):
        """[(logical id, requirement id)] as the runner reads them."""
        return [(logical, str(did)) for logical, res in self.resources.items()
                for did in ((res.get("TestingMetadata") or {}).get("TestDescription") or [])]


# Chained-invoke targets the C invoke handlers call by name.
C_TARGETS = {"TargetEcho": "echo", "TargetEchoTenant": "echo-tenant", "TargetError": "error"}


def write_c_template(path, suite, ids, with_targets):
    """A SAM template with one function per requirement id (Handler = the
    id: c_function serves it), and the chained-invoke targets when asked."""
    resources = {}
    for rid in ids:
        resources["Req" + rid.replace("-", "x")] = {
            "Type": "AWS::Serverless::Function",
            "TestingMetadata": {"TestDescription": [rid]},
            "Properties": {"Handler": rid, "Description": "C conformance handler of " + rid,
                           "DurableConfig": {"ExecutionTimeout": 300}},
        }
    if with_targets:
        for logical, name in C_TARGETS.items():
            resources[logical] = {
                "Type": "AWS::Serverless::Function",
                "Properties": {"FunctionName": name, "Handler": name,
                               "DurableConfig": {"ExecutionTimeout": 300}},
            }
    doc = {"AWSTemplateFormatVersion": "2010-09-09",
           "Transform": "AWS::Serverless-2016-10-31",
           "Description": "libdurable C conformance handlers, suite %s (written by "
                          "tests/interop/official/harness.py)" % suite,
           "Resources": resources}
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(doc, f, sort_keys=False)


def write_subset(src, dst, ids):
    """A copy of template src whose functions keep only the requirement ids
    in `ids` in TestingMetadata.TestDescription (everything else as read:
    the runner reads only TestingMetadata; NotImplemented stays)."""
    doc = load(src)
    for res in (doc.get("Resources") or {}).values():
        meta = res.get("TestingMetadata") if isinstance(res, dict) else None
        if isinstance(meta, dict) and "TestDescription" in meta:
            meta["TestDescription"] = [d for d in meta.get("TestDescription") or []
                                       if str(d) in ids]
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, "w", encoding="utf-8") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
