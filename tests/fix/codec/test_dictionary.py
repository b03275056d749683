"""Dictionary loading: packaged data, QuickFIX-format XML, extensions, names and layout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ordergate.fix.dictionary import (
    CustomField,
    CustomGroup,
    DictionaryError,
    DictionaryExtensions,
    SessionRejectReason,
    SpecError,
    load_dictionary,
    load_dictionary_xml,
)
from ordergate.fix.dictionary.spec import decode_spec, encode_spec, spec_from_xml
from tests.fix.codec.helpers import (
    EXECUTION_REPORT_42,
    MISC_FEES,
    NEW_ORDER_42,
    NEW_ORDER_44,
    message,
    replace,
)

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "src/ordergate/fix/dictionary/data"

SMALL_XML = b"""<fix type='FIX' major='4' minor='2'>
 <header>
  <field name='BeginString' required='Y'/><field name='BodyLength' required='Y'/>
  <field name='MsgType' required='Y'/>
 </header>
 <trailer><field name='CheckSum' required='Y'/></trailer>
 <messages>
  <message name='Heartbeat' msgtype='0' msgcat='admin'>
   <field name='TestReqID' required='N'/>
  </message>
  <message name='Order' msgtype='D' msgcat='app'>
   <field name='ClOrdID' required='Y'/>
   <component name='Legs' required='Y'/>
   <component name='Extra' required='N'/>
  </message>
 </messages>
 <components>
  <component name='Legs'>
   <group name='NoLegs' required='Y'>
    <field name='LegSymbol' required='Y'/><field name='LegSide' required='N'/>
   </group>
  </component>
  <component name='Extra'><field name='Text' required='Y'/></component>
 </components>
 <fields>
  <field number='8' name='BeginString' type='STRING'/>
  <field number='9' name='BodyLength' type='LENGTH'/>
  <field number='10' name='CheckSum' type='STRING'/>
  <field number='11' name='ClOrdID' type='STRING'/>
  <field number='35' name='MsgType' type='STRING'>
   <value enum='0' description='HEARTBEAT'/><value enum='D' description='ORDER'/>
  </field>
  <field number='58' name='Text' type='STRING'/>
  <field number='112' name='TestReqID' type='STRING'/>
  <field number='555' name='NoLegs' type='NUMINGROUP'/>
  <field number='600' name='LegSymbol' type='STRING'/>
  <field number='624' name='LegSide' type='CHAR'/>
 </fields>
</fix>"""


def test_packaged_versions_load_and_are_cached() -> None:
    fix42 = load_dictionary("FIX.4.2")
    fix44 = load_dictionary("FIX.4.4")

    assert fix42.begin_string == "FIX.4.2"
    assert fix44.begin_string == "FIX.4.4"
    assert load_dictionary("FIX.4.2") is fix42
    assert len(fix42.message_types()) == 46
    assert len(fix44.message_types()) == 93


def test_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no dictionary for 'FIX\.5\.0'"):
        load_dictionary("FIX.5.0")


def test_names_types_and_values() -> None:
    fix44 = load_dictionary("FIX.4.4")

    assert fix44.field_name(54) == "Side"
    assert fix44.field_tag("NoPartyIDs") == 453
    assert fix44.field_type(44) == "PRICE"
    assert fix44.field_type(453) == "NUMINGROUP"
    values = fix44.field_values(54)
    assert values is not None
    assert values["1"] == "BUY"
    assert fix44.field_name(99999) is None
    assert fix44.field_type(99999) is None
    assert fix44.field_values(99999) is None
    assert fix44.message_name("D") == "NewOrderSingle"
    assert fix44.message_name("ZZ") is None


@pytest.mark.parametrize(("version", "admin"), [("FIX.4.2", "012345A"), ("FIX.4.4", "012345An")])
def test_admin_messages(version: str, admin: str) -> None:
    dictionary = load_dictionary(version)

    assert {t for t in dictionary.message_types() if dictionary.is_admin(t)} == set(admin)
    assert not dictionary.is_admin("D")
    assert not dictionary.is_admin("ZZ")


def test_message_layout() -> None:
    fix44 = load_dictionary("FIX.4.4")

    assert fix44.required_fields("D")[:3] == (8, 9, 35)
    assert {11, 54, 60, 40} <= set(fix44.required_fields("D"))
    assert 55 not in fix44.required_fields("D")  # Instrument's Symbol is optional in 4.4
    assert 55 in load_dictionary("FIX.4.2").required_fields("D")
    assert {453, 11, 44} <= fix44.message_fields("D")
    assert 448 not in fix44.message_fields("D")  # a group member, not a top-level field
    with pytest.raises(KeyError):
        fix44.message_fields("ZZ")


@pytest.mark.parametrize("name", ["fix42", "fix44"])
def test_packaged_json_is_what_the_generator_writes(name: str, tmp_path: Path) -> None:
    # The quickfix package (a dev dependency) installs the spec XML under <prefix>/share.
    sdist_xml = Path(sys.prefix) / "share" / "quickfix" / f"{name.upper()}.xml"
    packaged = (DATA / f"{name}.json").read_bytes()
    assert encode_spec(decode_spec(packaged)) == packaged
    if not sdist_xml.exists():
        message = f"{sdist_xml} is missing: install the dev extras (quickfix)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    out = tmp_path / f"{name}.json"
    subprocess.run(
        [sys.executable, str(ROOT / "tools/gen_fix_dictionary.py"), str(sdist_xml), str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == packaged


def test_generator_reports_a_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<fix><fields/>")

    result = subprocess.run(
        [sys.executable, str(ROOT / "tools/gen_fix_dictionary.py"), str(bad), str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert "does not parse" in result.stderr
    assert not (tmp_path / "o").exists()


class TestXml:
    def test_components_are_expanded_with_required_flags(self) -> None:
        spec = spec_from_xml(SMALL_XML)

        order = spec.messages["D"]
        assert spec.begin_string == "FIX.4.2"
        assert [(e.tag, e.required) for e in order.entries] == [
            (11, True),
            (555, True),
            (58, False),
        ]
        legs = order.entries[1].members
        assert legs is not None
        assert [(e.tag, e.required) for e in legs] == [(600, True), (624, False)]

    def test_runtime_xml_dictionary_validates(self, tmp_path: Path) -> None:
        path = tmp_path / "counterparty.xml"
        path.write_bytes(SMALL_XML)
        dictionary = load_dictionary_xml(path)
        good = [(35, b"D"), (11, b"A"), (555, b"1"), (600, b"X"), (624, b"1")]

        assert dictionary.validate(message(b"FIX.4.2", good)) is None
        issue = dictionary.validate(message(b"FIX.4.2", good[:2]))
        assert issue is not None
        assert (issue.reason, issue.ref_tag) == (SessionRejectReason.REQUIRED_TAG_MISSING, 555)
        assert load_dictionary_xml(SMALL_XML).message_name("D") == "Order"

    @pytest.mark.parametrize(
        ("xml", "match"),
        [
            (b"<fix", "does not parse"),
            (b"<other/>", "root is not <fix>"),
            (
                SMALL_XML.replace(b"<fields>", b"<fieldz>").replace(b"</fields>", b"</fieldz>"),
                "has no <fields>",
            ),
            (
                SMALL_XML.replace(b"name='Legs' required='Y'/>", b"name='Nope' required='Y'/>"),
                "component Nope is not defined",
            ),
            (SMALL_XML.replace(b"number='58'", b"number='x'"), "has number 'x'"),
            (
                SMALL_XML.replace(b"<field number='58' name='Text' type='STRING'/>", b""),
                "field Text is used but not defined",
            ),
            (
                SMALL_XML.replace(
                    b"<field name='Text' required='Y'/>", b"<component name='Extra' required='Y'/>"
                ),
                "includes itself",
            ),
            (SMALL_XML.replace(b"msgtype='0' ", b""), "without msgtype="),
            (
                SMALL_XML.replace(b"<field name='TestReqID' required='N'/>", b"<junk name='x'/>"),
                "unexpected <junk>",
            ),
        ],
    )
    def test_malformed_xml_is_refused(self, xml: bytes, match: str) -> None:
        with pytest.raises(SpecError, match=match):
            load_dictionary_xml(xml)

    def test_bad_json_is_refused(self) -> None:
        with pytest.raises(SpecError, match="not a dictionary"):
            decode_spec(b"{}")
        with pytest.raises(SpecError, match="format 2"):
            decode_spec(
                b'{"format":2,"begin_string":"X","fields":{},"header":[],"trailer":[],'
                b'"messages":{}}'
            )


class TestExtensions:
    def test_custom_tag_is_accepted_only_where_configured(self) -> None:
        extensions = DictionaryExtensions(
            fields=[CustomField(tag=5001, name="ClientStrategy", enums=["VWAP", "TWAP"])],
            message_fields={"D": [5001]},
        )
        dictionary = load_dictionary("FIX.4.4", extensions)
        order = [*NEW_ORDER_44, (5001, b"VWAP")]

        assert dictionary.validate(message(b"FIX.4.4", order)) is None
        assert dictionary.field_name(5001) == "ClientStrategy"
        wrong_value = dictionary.validate(message(b"FIX.4.4", replace(order, 5001, b"POV")))
        assert wrong_value is not None
        assert wrong_value.reason == SessionRejectReason.VALUE_IS_INCORRECT
        cancel = [
            (35, b"F"),
            *NEW_ORDER_44[1:5],
            (41, b"O"),
            (11, b"C"),
            (55, b"X"),
            (54, b"1"),
            (60, NEW_ORDER_44[4][1]),
            (38, b"1"),
            (5001, b"VWAP"),
        ]
        elsewhere = dictionary.validate(message(b"FIX.4.4", cancel))
        assert elsewhere is not None
        assert (elsewhere.reason, elsewhere.ref_tag) == (
            SessionRejectReason.TAG_NOT_DEFINED_FOR_MESSAGE_TYPE,
            5001,
        )
        standard = load_dictionary("FIX.4.4").validate(message(b"FIX.4.4", order))
        assert standard is not None
        assert standard.reason == SessionRejectReason.UNDEFINED_TAG

    def test_standard_tag_allowed_in_another_message_and_redefined(self) -> None:
        extensions = DictionaryExtensions(
            fields=[CustomField(tag=40, name="OrdType", type="CHAR", enums=["1", "2", "P"])],
            message_fields={"D": [108]},
        )
        dictionary = load_dictionary("FIX.4.2", extensions)
        order = replace([*NEW_ORDER_42, (108, b"30")], 40, b"P")

        assert dictionary.validate(message(b"FIX.4.2", order)) is None

    def test_misc_fees_group_in_a_fix42_execution_report(self) -> None:
        extensions = DictionaryExtensions(
            groups=[CustomGroup(count_tag=136, members=[137, 138, 139], msg_types=["8"])]
        )
        dictionary = load_dictionary("FIX.4.2", extensions)
        report = [*EXECUTION_REPORT_42, *MISC_FEES]

        assert dictionary.validate(message(b"FIX.4.2", report)) is None
        assert dictionary.groups(message(b"FIX.4.2", report), 136) == [
            [(137, b"1.50"), (138, b"USD"), (139, b"1")],
            [(137, b"0.25"), (139, b"2")],
        ]
        miscount = dictionary.validate(message(b"FIX.4.2", replace(report, 136, b"3")))
        assert miscount is not None
        assert miscount.reason == SessionRejectReason.INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP
        standard = load_dictionary("FIX.4.2").validate(message(b"FIX.4.2", report))
        assert standard is not None
        assert (standard.reason, standard.ref_tag) == (
            SessionRejectReason.TAG_NOT_DEFINED_FOR_MESSAGE_TYPE,
            136,
        )

    @pytest.mark.parametrize(
        ("extensions", "match"),
        [
            (DictionaryExtensions(fields=[CustomField(tag=0, name="X")]), "has tag 0"),
            (DictionaryExtensions(message_fields={"ZZ": [1]}), "unknown MsgType"),
            (DictionaryExtensions(message_fields={"D": [6001]}), "undefined tags"),
            (
                DictionaryExtensions(
                    groups=[CustomGroup(count_tag=136, members=[], msg_types=["8"])]
                ),
                "no members",
            ),
            (
                DictionaryExtensions(
                    groups=[CustomGroup(count_tag=136, members=[137], msg_types=["ZZ"])]
                ),
                "unknown MsgType",
            ),
        ],
    )
    def test_bad_extensions_are_refused(self, extensions: DictionaryExtensions, match: str) -> None:
        with pytest.raises(DictionaryError, match=match):
            load_dictionary("FIX.4.2", extensions)

    def test_extensions_read_from_configuration(self) -> None:
        import msgspec

        extensions = msgspec.json.decode(
            b'{"fields":[{"tag":5001,"name":"S","enums":["A"]}],"message_fields":{"D":[5001]}}',
            type=DictionaryExtensions,
        )
        dictionary = load_dictionary("FIX.4.2", extensions)

        assert dictionary.validate(message(b"FIX.4.2", [*NEW_ORDER_42, (5001, b"A")])) is None
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(b'{"fieldz":[]}', type=DictionaryExtensions)
