"""Magento 2.4's REST schema (Swagger 2.0, ../shared/magento/rest-schema-2.4.json) compiled once
into plain Python checks, for the fake Magento (fake_magento.py).

Why not a JSON-Schema library: the fake must validate ~100 requests/s of 500 source items on one
core, and it must map input the way Magento's ServiceInputProcessor does, which no generic
validator knows:
- A data object's keys are matched by their UpperCamelCase form (`order_item_id`,
  `orderItemId` and `OrderItemId` are one property). A key the class has no getter for cannot
  be mapped: the name finder throws a LogicException (`Property "Foo" does not have accessor
  method "getFoo" in class "..."`), which 2.4.7 turns into a 400 `"%fieldName" is required.
  Enter and try again.` (fieldName "Foo") and earlier 2.4 releases answered as HTTP 500
  ("Internal Error..." in production mode). The fake refuses it as 2.4.7 does, or as the older
  ones with FakeMagento(unknown_property_500=True).
- `required` inside data objects is NOT enforced (every non-nullable getter is marked required,
  Magento ignores that on input). The top level of a body is different: its keys are the
  service method's parameters, and one without a default missing is a 400
  `"%fieldName" is required. Enter and try again.`; an unknown top-level key is ignored.
- Types: stricter than Magento on purpose. Magento coerces "5" to int; here a JSON value must
  have the schema's JSON type (integer: a JSON integer; number: integer or float; never a
  boolean), so a client's bodies are exactly typed. null is accepted anywhere (Magento skips
  it). A mismatch is Magento's 400 `Error occurred during "%field_name" processing. %details`.
- Arrays of data objects are subject to Magento's Web API input limit (2.4.3+: `Maximum items
  of type "%type" is %max`), when the caller sets one.

Compiled form: each schema node becomes a closure `check(value)` (a scalar inside an object is
just its set of allowed Python types), raising Mismatch, whose path is only assembled on the way
out of a failure; every definition is compiled once at start-up and shared (recursive
definitions are fine). About 1 ms to parse and check a 500-item source-items body.
"""

import json
import os
import re
import urllib.parse

SCHEMA_RELATIVE = os.path.join("shared", "magento", "rest-schema-2.4.json")


def find_schema():
    """The schema's path: $OFBRIDGE_MAGENTO_SCHEMA, else shared/magento/... in a directory above
    this file (the repository's sibling `shared/`, wherever the checkout or worktree is)."""
    env = os.environ.get("OFBRIDGE_MAGENTO_SCHEMA")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    while True:
        candidate = os.path.join(here, SCHEMA_RELATIVE)
        if os.path.exists(candidate):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            raise FileNotFoundError("Magento REST schema not found: set OFBRIDGE_MAGENTO_SCHEMA or "
                                    "place it at ../" + SCHEMA_RELATIVE)
        here = parent


class Rejection(Exception):
    """A request Magento would refuse: HTTP status, the message template, its parameters, and a
    plain-language detail for the test's violation list."""

    def __init__(self, status, message, parameters=None, detail=None, kind="schema"):
        super().__init__(detail or message)
        self.kind = kind  # "schema": the request is malformed; "limit": the input limit
        self.status = status
        self.message = message
        self.parameters = parameters
        self.detail = detail or fill(message, parameters)


def unmappable(norm, accessor_error, detail):
    """A key Magento cannot map to a setter. Magento 2.4.7 catches the accessor LogicException
    and answers 400 '"%fieldName" is required. Enter and try again.' with the property's
    UpperCamelCase name; earlier 2.4 releases let it through as HTTP 500 (magento2#38087,
    2.4.5-p5). `accessor_error` is that older text, kept for the violation list."""
    rejection = Rejection(400, '"%fieldName" is required. Enter and try again.',
                          {"fieldName": norm}, detail)
    rejection.accessor_error = accessor_error
    return rejection


def fill(message, parameters):
    """A Magento message template with its placeholders filled (%1 positional, %name named)."""
    if not parameters:
        return message
    if isinstance(parameters, dict):
        for key in sorted(parameters, key=len, reverse=True):
            message = message.replace("%" + key, str(parameters[key]))
        return message
    for i in range(len(parameters), 0, -1):
        message = message.replace("%" + str(i), str(parameters[i - 1]))
    return message


_camel_cache = {}


def upper_camel(name):
    """SimpleDataObjectConverter::snakeCaseToUpperCamelCase: the form a key is matched by."""
    cached = _camel_cache.get(name)
    if cached is None:
        cached = "".join(part[:1].upper() + part[1:] for part in name.split("_"))
        _camel_cache[name] = cached
    return cached


def php_class(definition):
    """Best-effort PHP interface name of a definition (for Magento's error texts)."""
    known = {
        "inventory-api-data-source-item-interface":
            "\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface",
        "sales-data-shipment-item-creation-interface":
            "\\Magento\\Sales\\Api\\Data\\ShipmentItemCreationInterface",
        "sales-data-shipment-track-creation-interface":
            "\\Magento\\Sales\\Api\\Data\\ShipmentTrackCreationInterface",
        "sales-data-shipment-package-creation-interface":
            "\\Magento\\Sales\\Api\\Data\\ShipmentPackageCreationInterface",
        "sales-data-shipment-comment-creation-interface":
            "\\Magento\\Sales\\Api\\Data\\ShipmentCommentCreationInterface",
        "sales-data-shipment-creation-arguments-interface":
            "\\Magento\\Sales\\Api\\Data\\ShipmentCreationArgumentsInterface",
        "catalog-inventory-data-stock-item-interface":
            "\\Magento\\CatalogInventory\\Api\\Data\\StockItemInterface",
    }
    if definition in known:
        return known[definition]
    words = definition[:-len("-interface")].split("-") if definition.endswith("-interface") \
        else definition.split("-")
    cut = words.index("data") if "data" in words else 1
    module = "".join(w.capitalize() for w in words[:cut])
    rest = "".join(w.capitalize() for w in words[cut + 1:])
    return "\\Magento\\%s\\Api\\Data\\%sInterface" % (module, rest)


PHP_TYPE = {"integer": "int", "number": "float", "string": "string", "boolean": "bool",
            "array": "array", "object": "object"}


def _type_error(path, value, expected):
    shown = value if not isinstance(value, (dict, list)) else type(value).__name__
    if isinstance(shown, bool):
        shown = "true" if shown else "false"
    details = fill("The \"%value\" value's type is invalid. The \"%type\" type was expected. "
                   "Verify and try again.",
                   {"value": shown, "type": PHP_TYPE.get(expected, expected)})
    field = path.rsplit(".", 1)[-1] if path else ""
    return Rejection(400, "Error occurred during \"%field_name\" processing. %details",
                     {"field_name": field, "details": details},
                     "%s: %s" % (path or "body", details))


class Mismatch(Exception):
    """Raised deep inside a body; each container on the way out adds its key to `where`, and
    the top turns it into Magento's Rejection (the path is only built when something fails)."""

    def __init__(self, value=None, expected=None, unmappable=None):
        super().__init__()
        self.value, self.expected, self.unmappable = value, expected, unmappable
        self.where = []

    def rejection(self, root):
        path = root + "".join(k if k.startswith("[") else "." + k for k in reversed(self.where))
        if self.unmappable:
            norm, cls = self.unmappable
            detail = ('Property "%s" does not have accessor method "get%s" in class "%s".'
                      % (norm, norm, cls.lstrip("\\")))
            return unmappable(norm, detail, "%s: %s" % (path, detail))
        return _type_error(path, self.value, self.expected)


SCALAR_TYPES = {"integer": frozenset((int,)), "number": frozenset((int, float)),
                "string": frozenset((str,)), "boolean": frozenset((bool,))}


class Compiler:
    """Compiles schema nodes to checks `check(value)` raising Mismatch (or Rejection for the
    input limit, read at check time from `limits`, so a FakeMagento can change it live)."""

    def __init__(self, schema, limits):
        self.definitions = schema["definitions"]
        self.compiled = {}
        self.limits = limits  # object with .input_list_limit (None = off)

    def definition(self, name):
        check = self.compiled.get(name)
        if check is None:
            holder = []
            self.compiled[name] = lambda value: holder[0](value)  # recursion while compiling
            real = self.node(self.definitions[name], name)
            holder.append(real)
            self.compiled[name] = check = real
        return check

    def node(self, node, definition=None):
        """A check function, or for a scalar node the frozenset of its allowed types."""
        ref = node.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            if name in self.compiled:
                return self.compiled[name]
            holder = []

            def check_ref(value):
                if not holder:
                    holder.append(self.definition(name))
                holder[0](value)
            return check_ref
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            return self.object_node(node, definition)
        if kind == "array":
            return self.array_node(node)
        if kind in SCALAR_TYPES:
            return SCALAR_TYPES[kind]
        return lambda value: None  # untyped: anything

    def function(self, node):
        check = self.node(node)
        if type(check) is frozenset:
            types = check
            expected = [k for k, v in SCALAR_TYPES.items() if v is types][0]

            def check_scalar(value):
                if value is not None and type(value) not in types:
                    raise Mismatch(value, expected)
            return check_scalar
        return check

    def object_node(self, node, definition):
        props = {}
        for name, sub in (node.get("properties") or {}).items():
            props[upper_camel(name)] = sub
        table = {}  # key as sent -> frozenset of types, or a check
        cls = php_class(definition) if definition else "object"
        expected_of = {v: k for k, v in SCALAR_TYPES.items()}

        def check_object(value):
            if value is None:
                return
            if type(value) is not dict:
                raise Mismatch(value, "object")
            for key, item in value.items():
                entry = table.get(key)
                if entry is None:
                    norm = upper_camel(key)
                    if norm not in props:
                        error = Mismatch(unmappable=(norm, cls))
                        error.where.append(key)
                        raise error
                    entry = table[key] = self.node(props[norm])
                if type(entry) is frozenset:
                    if item is not None and type(item) not in entry:
                        error = Mismatch(item, expected_of[entry])
                        error.where.append(key)
                        raise error
                else:
                    try:
                        entry(item)
                    except Mismatch as error:
                        error.where.append(key)
                        raise
        return check_object

    def array_node(self, node):
        items = node.get("items") or {}
        ref = items.get("$ref")
        item_definition = ref.rsplit("/", 1)[-1] if ref else None
        holder = []

        def check_array(value):
            if value is None:
                return
            if type(value) is not list:
                raise Mismatch(value, "array")
            limit = self.limits.input_list_limit
            if item_definition is not None and limit is not None and len(value) > limit:
                raise Rejection(400, 'Maximum items of type "%type" is %max',
                                {"type": php_class(item_definition), "max": limit},
                                kind="limit")
            if not holder:
                holder.append(self.function(items))
            check = holder[0]
            for i, item in enumerate(value):
                try:
                    check(item)
                except Mismatch as error:
                    error.where.append("[%d]" % i)
                    raise
        return check_array


class Operation:
    """One (method, path template) of the schema, with its compiled checks."""

    def __init__(self, method, template, spec, compiler, parameters):
        self.method = method
        self.template = template
        self.operation_id = spec.get("operationId")
        self.segments = template.strip("/").split("/")
        self.literal_count = sum(1 for s in self.segments if not s.startswith("{"))
        self.path_params = {}
        self.query_params = {}
        self.search_criteria = False
        self.body_params = None  # name -> (check, required)
        for param in spec.get("parameters", []):
            if "$ref" in param:
                name = param["$ref"].rsplit("/", 1)[-1]
                param = parameters.get(name) or {"name": name, "in": "query", "type": "string"}
                if name.startswith(("filterGroups", "sortOrders", "pageSize", "currentPage")) \
                        or param.get("name", "").startswith("searchCriteria"):
                    self.search_criteria = True
                    continue
            where = param.get("in")
            if where == "path":
                self.path_params[param["name"]] = param.get("type", "string")
            elif where == "query":
                if param["name"].startswith("searchCriteria"):
                    self.search_criteria = True
                else:
                    self.query_params[param["name"]] = param.get("type", "string")
            elif where == "body":
                schema = param.get("schema", {})
                required = set(schema.get("required", []))
                self.body_params = {}
                for name, sub in (schema.get("properties") or {}).items():
                    self.body_params[name] = (compiler.function(sub), name in required)

    def match(self, parts):
        if len(parts) != len(self.segments):
            return None
        values = {}
        for seg, part in zip(self.segments, parts):
            if seg.startswith("{"):
                if part == "":
                    return None
                values[seg[1:-1]] = part
            elif seg != part:
                return None
        return values


class RestSchema:
    """The schema's operations, matched the way Magento's REST router does (the route with the
    most literal segments wins), and the checks of a request's path, query and body."""

    def __init__(self, path=None, limits=None):
        with open(path or find_schema(), encoding="utf-8") as f:
            raw = json.load(f)
        self.definitions = raw["definitions"]
        self.compiler = Compiler(raw, limits)
        self.by_first = {}  # (method, first segment after V1, segment count) -> [Operation]
        parameters = raw.get("parameters", {})
        # The $refs name the helper parameters "filterGroups0_filters0_field" etc.
        for key, value in list(parameters.items()):
            parameters.setdefault(key.replace("searchCriteria[", "").replace("][", "_")
                                  .replace("[", "").replace("]", ""), value)
        for template, methods in raw["paths"].items():
            for method, spec in methods.items():
                op = Operation(method.upper(), template, spec, self.compiler, parameters)
                key = (op.method, op.segments[1] if len(op.segments) > 1 else "",
                       len(op.segments))
                self.by_first.setdefault(key, []).append(op)
        for ops in self.by_first.values():
            ops.sort(key=lambda o: -o.literal_count)
        for name in self.definitions:  # compile everything now: no first-request cost
            self.compiler.definition(name)
        self.criteria_keys = self._criteria_keys()

    def operation(self, method, v1_path):
        """(Operation, path values) for a path relative to /rest/<store>, e.g. /V1/orders/5."""
        parts = v1_path.strip("/").split("/")
        key = (method, parts[1] if len(parts) > 1 else "", len(parts))
        candidates = list(self.by_first.get(key, []))
        # Templates whose second segment is a placeholder (/V1/{x}/...) are not keyed by it.
        for (m, first, count), ops in self.by_first.items():
            if m == method and count == len(parts) and first.startswith("{"):
                candidates.extend(ops)
        candidates.sort(key=lambda o: -o.literal_count)
        for op in candidates:
            values = op.match(parts)
            if values is not None:
                return op, values
        return None, None

    def check_path_values(self, op, values):
        out = {}
        for name, kind in op.path_params.items():
            value = urllib.parse.unquote(values.get(name) or "")  # e.g. a SKU with a space
            if kind == "integer":
                if not re.fullmatch(r"-?\d+", value or ""):
                    raise _type_error(name, value, "integer")
                out[name] = int(value)
            else:
                out[name] = value
        return out

    def check_body(self, op, body):
        """The method's parameters from a JSON body; unknown top-level keys are returned (Magento
        ignores them) so the caller can note them."""
        params = op.body_params or {}
        if type(body) is not dict:
            raise Rejection(400, "Decoding error.", None, "body is not a JSON object")
        ignored = []
        out = {}
        snake = {re.sub(r"(?<=\w)(?=[A-Z])", "_", n).lower(): n for n in params}
        for key, value in body.items():
            name = key if key in params else snake.get(key)
            if name is None:
                ignored.append(key)
                continue
            try:
                params[name][0](value)
            except Mismatch as error:
                raise error.rejection(name) from None
            out[name] = value
        for name, (_, required) in params.items():
            if required and out.get(name) is None:
                raise Rejection(400, '"%fieldName" is required. Enter and try again.',
                                {"fieldName": name})
        return out, ignored

    def check_response(self, definition, value):
        """A response document against a definition (same rules; used by the fake's tests,
        with a schema whose input_list_limit is None: the limit is for requests)."""
        try:
            self.compiler.definition(definition)(value)
        except Mismatch as error:
            raise error.rejection(definition) from None

    # -- searchCriteria in the query string ---------------------------------------------------
    def _criteria_keys(self):
        def props(name):
            return {upper_camel(p): p for p in self.definitions[name]["properties"]}
        return {"criteria": props("framework-search-criteria-interface"),
                "group": props("framework-search-filter-group"),
                "filter": props("framework-filter"),
                "sort": props("framework-sort-order")}

    def parse_search_criteria(self, pairs):
        """searchCriteria[...] query pairs -> {filter_groups, sort_orders, page_size,
        current_page} (snake_case keys, lists in index order). Keys are matched like body keys
        (filter_groups, filterGroups; condition_type, conditionType)."""
        tree = {}
        present = False
        for key, value in pairs:
            if key == "searchCriteria":
                present = True
                continue
            m = re.fullmatch(r"searchCriteria((?:\[[^\[\]]*\])+)", key)
            if not m:
                continue
            present = True
            parts = re.findall(r"\[([^\[\]]*)\]", m.group(1))
            parts = [p if p.isdigit() else upper_camel(p) for p in parts]
            node = tree
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise Rejection(400, "Decoding error.", None, "searchCriteria key " + key)
            node[parts[-1]] = value
        if not present:
            return None
        keys = self.criteria_keys
        out = {"filter_groups": [], "sort_orders": [], "page_size": None, "current_page": None}

        def canonical(level, key, where):
            name = keys[level].get(upper_camel(key))
            if name is None:
                cls = {"criteria": "Magento\\Framework\\Api\\SearchCriteriaInterface",
                       "group": "Magento\\Framework\\Api\\Search\\FilterGroup",
                       "filter": "Magento\\Framework\\Api\\Filter",
                       "sort": "Magento\\Framework\\Api\\SortOrder"}[level]
                norm = upper_camel(key)
                detail = ('Property "%s" does not have accessor method "get%s" in class "%s".'
                          % (norm, norm, cls))
                raise unmappable(norm, detail, "%s[%s]: %s" % (where, key, detail))
            return name

        def indexed(node, where):
            if not isinstance(node, dict) or not all(re.fullmatch(r"\d+", k) for k in node):
                raise _type_error(where, node, "array")
            return [node[k] for k in sorted(node, key=int)]

        for key, value in tree.items():
            name = canonical("criteria", key, "searchCriteria")
            where = "searchCriteria[%s]" % key
            if name in ("page_size", "current_page"):
                if not isinstance(value, str) or not re.fullmatch(r"\d+", value):
                    raise _type_error(where, value, "integer")
                out[name] = int(value)
            elif name == "filter_groups":
                for group in indexed(value, where):
                    filters = []
                    if not isinstance(group, dict):
                        raise _type_error(where, group, "object")
                    for gkey, gvalue in group.items():
                        canonical("group", gkey, where)
                        for flt in indexed(gvalue, where + "[filters]"):
                            if not isinstance(flt, dict):
                                raise _type_error(where, flt, "object")
                            entry = {}
                            for fkey, fvalue in flt.items():
                                if not isinstance(fvalue, str):
                                    raise _type_error(where, fvalue, "string")
                                entry[canonical("filter", fkey, where)] = fvalue
                            filters.append(entry)
                    out["filter_groups"].append({"filters": filters})
            elif name == "sort_orders":
                for order in indexed(value, where):
                    if not isinstance(order, dict):
                        raise _type_error(where, order, "object")
                    entry = {}
                    for skey, svalue in order.items():
                        if not isinstance(svalue, str):
                            raise _type_error(where, svalue, "string")
                        entry[canonical("sort", skey, where)] = svalue
                    out["sort_orders"].append(entry)
        return out
