"""AWS query-protocol helpers driven by botocore's service models.

Responses are serialized from plain dicts *through the botocore output shape*
of the operation, so element names, list member names and result wrappers are
exactly what the model (and therefore every AWS SDK) expects.  A dict key that
the shape does not define raises KeyError: a bug in the simulator, never a
silently wrong reply.
"""

import datetime
import threading
import uuid
from xml.sax.saxutils import escape

import botocore.session

_lock = threading.Lock()
_models = {}
_errors = {}


def service_model(service):
    with _lock:
        if service not in _models:
            _models[service] = botocore.session.get_session().get_service_model(service)
        return _models[service]


def error_status(service, code):
    """HTTP status for an error code, from the model's error shapes."""
    with _lock:
        table = _errors.get(service)
    if table is None:
        model = service_model(service)
        table = {}
        for name in model.shape_names:
            shape = model.shape_for(name)
            err = shape.metadata.get("error")
            if err:
                table[err.get("code", name)] = int(err.get("httpStatusCode", 400))
        with _lock:
            _errors[service] = table
    return table.get(code)


def _ts(value):
    if isinstance(value, (int, float)):
        value = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    if isinstance(value, datetime.datetime):
        value = value.astimezone(datetime.timezone.utc)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (value.microsecond // 1000)
    return str(value)


def _scalar(shape, value):
    t = shape.type_name
    if t == "boolean":
        return "true" if value else "false"
    if t == "timestamp":
        return _ts(value)
    if t in ("integer", "long"):
        return str(int(value))
    if t in ("float", "double"):
        return repr(float(value))
    return escape(str(value))


def serialize(shape, value, name, out):
    """Append the XML for `value` (shaped by `shape`) as element `name`."""
    t = shape.type_name
    if value is None:
        return
    if t == "structure":
        out.append("<%s>" % name)
        _members(shape, value, out)
        out.append("</%s>" % name)
    elif t == "list":
        member = shape.member
        mname = member.serialization.get("name", "member")
        if shape.serialization.get("flattened"):
            for item in value:
                serialize(member, item, name, out)
            return
        out.append("<%s>" % name)
        for item in value:
            serialize(member, item, mname, out)
        out.append("</%s>" % name)
    elif t == "map":
        raise TypeError("map shapes are not used by the simulator")
    else:
        out.append("<%s>%s</%s>" % (name, _scalar(shape, value), name))


def _members(shape, value, out):
    members = shape.members
    for key, item in value.items():
        if key not in members:
            raise KeyError("%s has no member %s" % (shape.name, key))
        mshape = members[key]
        serialize(mshape, item, mshape.serialization.get("name", key), out)


def response(service, operation, result, request_id=None):
    """Body of a successful query-protocol reply for `operation`."""
    model = service_model(service)
    op = model.operation_model(operation)
    ns = model.metadata["xmlNamespace"]
    out = ['<%sResponse xmlns="%s">' % (operation, ns)]
    if op.output_shape is not None:
        wrapper = op.output_shape.serialization.get("resultWrapper", operation + "Result")
        out.append("<%s>" % wrapper)
        _members(op.output_shape, result or {}, out)
        out.append("</%s>" % wrapper)
    out.append("<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
               % (request_id or str(uuid.uuid4())))
    out.append("</%sResponse>" % operation)
    return "".join(out).encode()


def error_document(code, message, sender=True, request_id=None, namespace=None):
    ns = ' xmlns="%s"' % namespace if namespace else ""
    return ("<ErrorResponse%s><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message>"
            "</Error><RequestId>%s</RequestId></ErrorResponse>"
            % (ns, "Sender" if sender else "Receiver", escape(code), escape(message),
               request_id or str(uuid.uuid4()))).encode()
