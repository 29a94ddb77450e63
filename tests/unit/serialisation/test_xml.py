"""The XML writer and the defended reader: shapes, escaping as a property, and attacks."""

from __future__ import annotations

import contextlib
import xml.dom.minidom
import xml.etree.ElementTree as StdTree
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchtask.serialisation.wire import KeyValues
from batchtask.serialisation.xml import XmlBodyError, parse_xml, render_xml

DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'
XSI = ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
ITEM_TAGS = {"int", "long", "short", "string", "boolean", "anyType", "BatchTaskInfo"}


def document(body: str) -> bytes:
    """The expected bytes of a rendered document."""
    return DECLARATION + body.encode()


def clean(text: str) -> str:
    """The documented forbidden-character rule, written independently of the module."""
    return "".join(
        "\ufffd"
        if (ord(char) < 0x20 and char not in "\t\n\r")
        or char in "\ufffe\uffff"
        or 0xD800 <= ord(char) <= 0xDFFF
        else char
        for char in text
    )


class TestRenderShapes:
    def test_bare_int(self) -> None:
        """A bare int is an <int> document without namespace declarations (SPEC §2)."""
        assert render_xml("int", 100) == document("<int>100</int>")

    def test_bare_boolean(self) -> None:
        """A bare bool is a <boolean> document with lower-case text."""
        assert render_xml("boolean", True) == document("<boolean>true</boolean>")
        assert render_xml("boolean", False) == document("<boolean>false</boolean>")

    def test_bare_string(self) -> None:
        """A bare string is escaped text in the root."""
        assert render_xml("string", "a<b") == document(f"<string{XSI}>a&lt;b</string>")

    def test_root_nil(self) -> None:
        """A null root is a nil element that still declares xsi."""
        assert render_xml("BatchTaskInfo", None) == document(
            f'<BatchTaskInfo{XSI} xsi:nil="true" />'
        )

    def test_object_fields_in_order(self) -> None:
        """A dict is one child per key, in insertion order, with every scalar rule applied."""
        value = {"Id": 7, "Name": "", "IsSystemTask": False, "Context": None, "B": True}
        assert render_xml("BatchTaskInfo", value) == document(
            f"<BatchTaskInfo{XSI}><Id>7</Id><Name></Name><IsSystemTask>false</IsSystemTask>"
            '<Context xsi:nil="true" /><B>true</B></BatchTaskInfo>'
        )

    def test_key_values_with_object_values(self) -> None:
        """KeyValues entries are KeyValuePair elements; a Value may hold an object."""
        value = {
            "ParameterObject": KeyValues({"a&b": "1"}),
            "FieldProperties": KeyValues(
                {"Id": {"FieldRight": {"Mask": "Read"}, "FieldType": "System.Int32"}}
            ),
        }
        assert render_xml("BatchTaskInfo", value) == document(
            f"<BatchTaskInfo{XSI}>"
            "<ParameterObject><KeyValuePair><Key>a&amp;b</Key><Value>1</Value></KeyValuePair>"
            "</ParameterObject><FieldProperties><KeyValuePair><Key>Id</Key><Value>"
            "<FieldRight><Mask>Read</Mask></FieldRight><FieldType>System.Int32</FieldType>"
            "</Value></KeyValuePair></FieldProperties></BatchTaskInfo>"
        )

    def test_empty_containers_are_empty_elements(self) -> None:
        """Empty dicts, KeyValues and lists render like the empty string."""
        value = {"A": {}, "B": KeyValues(), "C": []}
        assert render_xml("X", value) == document(f"<X{XSI}><A></A><B></B><C></C></X>")

    def test_array_uses_item(self) -> None:
        """A root list names its entries with item."""
        rendered = render_xml("ArrayOfBatchTaskInfo", [{"Id": 1}, {"Id": 2}], item="BatchTaskInfo")
        assert rendered == document(
            f"<ArrayOfBatchTaskInfo{XSI}><BatchTaskInfo><Id>1</Id></BatchTaskInfo>"
            "<BatchTaskInfo><Id>2</Id></BatchTaskInfo></ArrayOfBatchTaskInfo>"
        )

    @pytest.mark.parametrize(
        ("name", "value", "tag"),
        [
            ("ArrayOfFoo", [{}], "Foo"),
            ("Ids", [1, 2], "int"),
            ("Names", [None, "a"], "string"),
            ("Flags", [True], "boolean"),
            ("Rows", [{"A": 1}], "anyType"),
            ("Nothing", [None], "anyType"),
        ],
    )
    def test_nested_list_item_names(self, name: str, value: list[object], tag: str) -> None:
        """Lists without item follow the DataContract naming habit."""
        assert f"<{name}><{tag}".encode() in render_xml("X", {name: value})

    def test_floats(self) -> None:
        """Floats use XML Schema's lexical forms."""
        rendered = render_xml("X", {"A": 1.5, "B": float("inf"), "C": float("nan")})
        assert b"<A>1.5</A><B>INF</B><C>NaN</C>" in rendered

    @pytest.mark.parametrize("name", ["", "1abc", "a b", "a:b", "<x>", "ñame", "x/y"])
    def test_invalid_element_names_raise(self, name: str) -> None:
        """A key that cannot be an element name is a programming error, not bad XML."""
        with pytest.raises(ValueError, match="element name"):
            render_xml("X", {name: 1})

    def test_unsupported_value_type_raises(self) -> None:
        """Values without a wire form are rejected loudly."""
        with pytest.raises(TypeError, match="no XML wire form"):
            render_xml("X", {"A": object()})


class TestRenderEscaping:
    @pytest.mark.parametrize(
        ("text", "escaped"),
        [
            ("a&b", "a&amp;b"),
            ("<tag>", "&lt;tag&gt;"),
            ("]]>", "]]&gt;"),
            ("line\r\nnext", "line&#13;\nnext"),
            ("tab\there", "tab\there"),
            ("nul\x00bell\x07", "nul\ufffdbell\ufffd"),
            ("\ufffe\uffff", "\ufffd\ufffd"),
            ("lone\ud800", "lone\ufffd"),
            ("quote\"'", "quote\"'"),
            ("emoji 😀 ø", "emoji 😀 ø"),
        ],
    )
    def test_text_rule(self, text: str, escaped: str) -> None:
        """Markup is escaped, CR survives as a reference, forbidden characters become U+FFFD."""
        assert render_xml("s", text) == document(f"<s{XSI}>{escaped}</s>")

    def test_cr_survives_parsing(self) -> None:
        """A CR would be normalised to LF by any parser unless written as a reference."""
        rendered = render_xml("s", "a\rb\r\nc")
        assert StdTree.fromstring(rendered).text == "a\rb\r\nc"  # noqa: S314

    def test_key_text_is_escaped(self) -> None:
        """KeyValues keys are text, so they follow the text rule."""
        rendered = render_xml("P", KeyValues({"<\x01>": "v"}))
        assert b"<Key>&lt;\xef\xbf\xbd&gt;</Key>" in rendered


# --- property tests -------------------------------------------------------------------------

ANY_CHAR = st.characters(exclude_categories=())
TEXT = st.text(ANY_CHAR, max_size=12) | st.text(
    st.sampled_from(list("&<>\r\n\t\x00\x1f\ufffe\uffff\ud800\udfff]\"' a")), max_size=12
)
NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,6}", fullmatch=True).filter(
    lambda name: not name.endswith("KeyValuePair")
) | st.sampled_from(sorted(ITEM_TAGS))
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | TEXT


def _unique_after_cleaning(keys: dict[str, Any]) -> bool:
    return len({clean(key) for key in keys}) == len(keys)


def values(depth: int) -> st.SearchStrategy[Any]:
    """Wire values nested at most ``depth`` containers deep."""
    if depth == 0:
        return SCALARS
    inner = values(depth - 1)
    return st.one_of(
        SCALARS,
        st.lists(inner, max_size=3),
        st.dictionaries(NAMES, inner, max_size=3),
        st.dictionaries(TEXT, inner, max_size=3).filter(_unique_after_cleaning).map(KeyValues),
    )


def item_name(list_name: str, entries: list[Any]) -> str:
    """The documented naming rule for list entries without item."""
    if list_name.startswith("ArrayOf") and len(list_name) > 7:
        return list_name[7:]
    for entry in entries:
        if entry is None:
            continue
        if isinstance(entry, bool):
            return "boolean"
        if isinstance(entry, int):
            return "int"
        if isinstance(entry, str):
            return "string"
        break
    return "anyType"


def expected(value: Any, name: str, item: str | None = None) -> Any:
    """What parse_xml documents it returns for an element ``name`` rendered from ``value``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return clean(value)
    if not value:
        return ""
    if isinstance(value, KeyValues):
        return KeyValues({clean(key): expected(entry, "Value") for key, entry in value.items()})
    if isinstance(value, dict):
        children = list(value.items())
    else:
        tag = item or item_name(name, value)
        children = [(tag, entry) for entry in value]
    tags = {tag for tag, _ in children}
    if len(tags) == 1 and (
        len(children) > 1 or children[0][0] in ITEM_TAGS or name.startswith("ArrayOf")
    ):
        return [expected(entry, tag) for tag, entry in children]
    return {tag: expected(entry, tag) for tag, entry in children}


def assert_same(actual: Any, wanted: Any) -> None:
    """Equal, and of exactly the same container types all the way down."""
    assert type(actual) is type(wanted), (actual, wanted)
    if isinstance(wanted, dict):
        assert list(actual) == list(wanted)
        for key in wanted:
            assert_same(actual[key], wanted[key])
    elif isinstance(wanted, list):
        assert len(actual) == len(wanted)
        for got, want in zip(actual, wanted, strict=True):
            assert_same(got, want)
    else:
        assert actual == wanted


ROOTS = NAMES | NAMES.map(lambda name: f"ArrayOf{name}")


class TestRoundTrip:
    @settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
    @given(root=ROOTS, value=values(4), item=st.none() | NAMES)
    def test_parse_inverts_render(self, root: str, value: Any, item: str | None) -> None:
        """parse_xml(render_xml(v)) is v with text cleaned and scalars as their text."""
        name, parsed = parse_xml(render_xml(root, value, item=item))
        assert name == root
        assert_same(parsed, expected(value, root, item if isinstance(value, list) else None))

    @settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
    @given(root=ROOTS, value=values(4))
    def test_stdlib_parsers_accept_output(self, root: str, value: Any) -> None:
        """Any rendered document is well-formed for ElementTree and minidom alike."""
        rendered = render_xml(root, value)
        assert rendered.startswith(DECLARATION)
        assert StdTree.fromstring(rendered).tag == root  # noqa: S314
        document = xml.dom.minidom.parseString(rendered).documentElement  # noqa: S318
        assert document is not None
        assert document.tagName == root

    @given(text=TEXT)
    def test_text_survives_stdlib_parsing(self, text: str) -> None:
        """The text an independent parser reads back is exactly the cleaned text."""
        rendered = render_xml("s", {"t": text})
        assert (StdTree.fromstring(rendered).findtext("t") or "") == clean(text)  # noqa: S314
        node = xml.dom.minidom.parseString(rendered).getElementsByTagName("t")[0]  # noqa: S318
        read = ""
        for child in node.childNodes:
            assert isinstance(child, xml.dom.minidom.Text)
            read += child.data
        assert read == clean(text)


# --- reading ----------------------------------------------------------------------------------


class TestParseShapes:
    def test_carrier_with_namespace_and_indentation(self) -> None:
        """A DataContract namespace is stripped and indentation ignored."""
        body = b"""<?xml version="1.0"?>
        <BatchTaskInfo xmlns="http://www.superoffice.net/ws/crm/NetServer/Services88"
                       xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
          <Id>1</Id>
          <Name>Export</Name>
          <Context i:nil="true"/>
          <ParameterObject>
            <StringKeyValuePair><Key>a</Key><Value>1</Value></StringKeyValuePair>
          </ParameterObject>
        </BatchTaskInfo>"""
        root, value = parse_xml(body)
        assert root == "BatchTaskInfo"
        assert value == {
            "Id": "1",
            "Name": "Export",
            "Context": None,
            "ParameterObject": {"a": "1"},
        }
        assert isinstance(value, dict)
        assert isinstance(value["ParameterObject"], KeyValues)

    @pytest.mark.parametrize(
        ("body", "value"),
        [
            (b"<int>100</int>", "100"),
            (b"<X/>", ""),
            (b"<ArrayOfBatchTaskInfo><BatchTaskInfo><Id>1</Id></BatchTaskInfo>"
             b"</ArrayOfBatchTaskInfo>", [{"Id": "1"}]),
            (b"<Ids><int>1</int></Ids>", ["1"]),
            (b"<Ids><Id>1</Id><Id>2</Id></Ids>", ["1", "2"]),
            (b"<Task><Id>1</Id></Task>", {"Id": "1"}),
            (b"<P><KeyValuePair><Key>k</Key></KeyValuePair></P>", {"k": None}),
            (b"<s>a&#13;&#10;b</s>", "a\r\nb"),
        ],
    )  # fmt: skip
    def test_shapes(self, body: bytes, value: object) -> None:
        """Each documented shape converts as documented."""
        assert parse_xml(body)[1] == value

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (b"<T><A>1</A><B/><A>2</A></T>", "<A> appears more than once in <T>"),
            (b"<P><KeyValuePair><Key>k</Key></KeyValuePair>"
             b"<KeyValuePair><Key>k</Key></KeyValuePair></P>", "'k' appears more than once"),
            (b"<P><KeyValuePair><Value>v</Value></KeyValuePair></P>", "needs a text <Key>"),
            (b"<P><KeyValuePair><Key>k</Key><Other/></KeyValuePair></P>", "one <Key>"),
            (b"<T>text<A>1</A></T>", "mixes text"),
            (b'<T xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><A xsi:nil="x">1</A></T>',
             None),
        ],
    )  # fmt: skip
    def test_structural_errors(self, body: bytes, message: str | None) -> None:
        """Shapes the wire form cannot mean are rejected with a clear message."""
        if message is None:
            assert parse_xml(body)[1] == {"A": "1"}
            return
        with pytest.raises(XmlBodyError, match=message.replace("(", r"\(")):
            parse_xml(body)


class TestParseAttacks:
    def test_billion_laughs(self) -> None:
        """Entity expansion never starts: the DTD itself is refused."""
        lol = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
        body = (
            f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{lol}]><lolz>&lol9;</lolz>'
        )
        with pytest.raises(XmlBodyError, match="document type declaration"):
            parse_xml(body.encode())

    def test_external_entity(self) -> None:
        """An XXE file read is refused."""
        body = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
        with pytest.raises(XmlBodyError, match="document type declaration"):
            parse_xml(body)

    def test_external_dtd(self) -> None:
        """An external DTD is never fetched."""
        body = b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><x/>'
        with pytest.raises(XmlBodyError, match="document type declaration"):
            parse_xml(body)

    def test_deep_nesting(self) -> None:
        """100 000 nested elements are refused without a RecursionError."""
        body = b"<a>" * 100_000 + b"</a>" * 100_000
        with pytest.raises(XmlBodyError, match="deeper than 32"):
            parse_xml(body)

    def test_depth_limit_is_exact(self) -> None:
        """max_depth elements are fine, one more is not."""
        assert parse_xml(b"<a>" * 3 + b"</a>" * 3, max_depth=3)[1] == {"a": {"a": ""}}
        with pytest.raises(XmlBodyError):
            parse_xml(b"<a>" * 4 + b"</a>" * 4, max_depth=3)

    def test_depth_counts_key_value_pairs(self) -> None:
        """The KeyValuePair and Value levels count towards the depth."""
        body = b"<P><KeyValuePair><Key>k</Key><Value>v</Value></KeyValuePair></P>"
        assert parse_xml(body, max_depth=3)[1] == {"k": "v"}
        with pytest.raises(XmlBodyError):
            parse_xml(body, max_depth=2)

    @pytest.mark.parametrize(
        "body",
        [
            b"",
            b"<a>",
            b"<a></b>",
            b"<a/><b/>",
            b"not xml",
            b"<a>&#0;</a>",
            b"<a>&undefined;</a>",
            b'<a xsi:nil="true"/>',
            b'<?xml version="1.0" encoding="utf-16"?><a/>',
            b'<?xml version="1.0" encoding="bogus"?><a/>',
            b'<?xml version="1.0" encoding="shift_jis"?><a/>',
            b"<a>\xff\xfe</a>",
        ],
    )
    def test_malformed(self, body: bytes) -> None:
        """Malformed bodies and unreadable encodings are XmlBodyError."""
        with pytest.raises(XmlBodyError):
            parse_xml(body)

    def test_position_is_reported(self) -> None:
        """Syntax errors carry the line and column."""
        with pytest.raises(XmlBodyError, match="line 2") as caught:
            parse_xml(b"<a>\n<b></a>")
        assert (caught.value.line, caught.value.column) == (2, 5)

    def test_single_byte_declared_encoding_is_read(self) -> None:
        """A correct non-UTF-8 declaration is honoured."""
        body = '<?xml version="1.0" encoding="windows-1252"?><a>€</a>'.encode("cp1252")
        assert parse_xml(body) == ("a", "€")

    @settings(max_examples=300)
    @given(body=st.binary(max_size=200) | TEXT.map(lambda text: f"<a>{text}</a>".encode(
        "utf-8", "surrogatepass")))  # fmt: skip
    def test_any_bytes_raise_only_xml_body_error(self, body: bytes) -> None:
        """Whatever the bytes, the only failure is XmlBodyError."""
        with contextlib.suppress(XmlBodyError):
            parse_xml(body)
