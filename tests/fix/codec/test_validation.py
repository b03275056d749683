"""Dictionary.validate: every reject reason, with real FIX 4.2 and 4.4 messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordergate.fix.codec import parse
from ordergate.fix.dictionary import Dictionary, SessionRejectReason, load_dictionary
from ordergate.fix.dictionary.types import DECIMAL_PATTERN, check_for_type
from ordergate.fix.message import FixMessage
from tests.fix.codec.helpers import (
    EXECUTION_REPORT_42,
    EXECUTION_REPORT_44,
    HEADER,
    NEW_ORDER_42,
    NEW_ORDER_44,
    message,
    replace,
    soh,
)

R = SessionRejectReason
Fields = list[tuple[int, bytes]]

VERSIONS = [
    pytest.param(b"FIX.4.2", NEW_ORDER_42, id="4.2"),
    pytest.param(b"FIX.4.4", NEW_ORDER_44, id="4.4"),
]


def check(begin: bytes, fields: Fields) -> tuple[R, int | None, str] | None:
    dictionary = load_dictionary(begin.decode())
    issue = dictionary.validate(message(begin, fields))
    return None if issue is None else (issue.reason, issue.ref_tag, issue.text)


@pytest.mark.parametrize(
    ("begin", "fields"),
    [
        (b"FIX.4.2", NEW_ORDER_42),
        (b"FIX.4.4", NEW_ORDER_44),
        (b"FIX.4.2", EXECUTION_REPORT_42),
        (b"FIX.4.4", EXECUTION_REPORT_44),
        (b"FIX.4.4", [(35, b"0"), *HEADER, (627, b"1"), (628, b"HOP1"), (629, HEADER[3][1])]),
        (b"FIX.4.2", [*NEW_ORDER_42, (18, b"1 2 G"), (114, b"Y")]),
        (b"FIX.4.4", [*NEW_ORDER_44, (453, b"0")]),
    ],
    ids=["nos42", "nos44", "er42-groups", "er44-nested", "hops", "multi-value", "empty-group"],
)
def test_valid_messages_pass(begin: bytes, fields: Fields) -> None:
    assert check(begin, fields) is None


@pytest.mark.parametrize(("begin", "order"), VERSIONS)
class TestRejectReasons:
    def test_unknown_msg_type(self, begin: bytes, order: Fields) -> None:
        assert check(begin, replace(order, 35, b"ZZ")) == (
            R.INVALID_MSGTYPE,
            35,
            "MsgType(35)='ZZ' is not a known message type",
        )

    def test_missing_msg_type(self, begin: bytes, order: Fields) -> None:
        fields = [(8, begin), (9, b"5"), *order[1:], (10, b"000")]
        issue = load_dictionary(begin.decode()).validate(FixMessage(fields))
        assert issue is not None
        assert (issue.reason, issue.ref_tag) == (R.REQUIRED_TAG_MISSING, 35)

    def test_undefined_tag(self, begin: bytes, order: Fields) -> None:
        assert check(begin, [*order, (7777, b"x")]) == (
            R.UNDEFINED_TAG,
            7777,
            "tag 7777 is not defined",
        )

    def test_tag_not_defined_for_message(self, begin: bytes, order: Fields) -> None:
        assert check(begin, [*order, (108, b"30")]) == (
            R.TAG_NOT_DEFINED_FOR_MESSAGE_TYPE,
            108,
            "HeartBtInt(108) is not defined for NewOrderSingle(D)",
        )

    def test_invalid_tag_number(self, begin: bytes, order: Fields) -> None:
        wire = message(begin, order).fields
        issue = load_dictionary(begin.decode()).validate(
            parse(soh("|".join(f"{t}={v.decode()}" for t, v in wire[:-1]) + "|0=x|10=000|"))
        )
        assert issue is not None
        assert (issue.reason, issue.ref_tag) == (R.INVALID_TAG_NUMBER, 0)

    def test_empty_value(self, begin: bytes, order: Fields) -> None:
        assert check(begin, replace(order, 1, b"")) == (
            R.TAG_SPECIFIED_WITHOUT_A_VALUE,
            1,
            "Account(1) is empty",
        )

    def test_repeated_tag(self, begin: bytes, order: Fields) -> None:
        assert check(begin, [*order, (55, b"MSFT")]) == (
            R.TAG_APPEARS_MORE_THAN_ONCE,
            55,
            "Symbol(55) appears twice",
        )

    @pytest.mark.parametrize("tag", [11, 54, 40, 60, 49, 52])
    def test_required_tag_missing(self, begin: bytes, order: Fields, tag: int) -> None:
        result = check(begin, replace(order, tag, None))
        assert result is not None
        assert result[:2] == (R.REQUIRED_TAG_MISSING, tag)

    @pytest.mark.parametrize(
        ("tag", "value", "fix_type"),
        [
            (38, b"abc", "QTY"),
            (38, b"1e5", "QTY"),
            (44, b"1.2.3", "PRICE"),
            (44, b"-", "PRICE"),
            (34, b"12a", "SEQNUM|INT"),
            (52, b"20241301-10:11:12", "UTCTIMESTAMP"),
            (52, b"20240102-24:00:00", "UTCTIMESTAMP"),
            (60, b"20240102 10:11:12", "UTCTIMESTAMP"),
            (60, b"20240102-10:11:12.1234", "UTCTIMESTAMP"),
        ],
    )
    def test_incorrect_data_format(
        self, begin: bytes, order: Fields, tag: int, value: bytes, fix_type: str
    ) -> None:
        result = check(begin, replace(order, tag, value))
        assert result is not None
        assert result[:2] == (R.INCORRECT_DATA_FORMAT_FOR_VALUE, tag)
        assert result[2].split(" is not a valid ")[1] in fix_type.split("|")

    @pytest.mark.parametrize(("tag", "value"), [(54, b"Z"), (40, b"?"), (59, b"9")])
    def test_value_is_incorrect(self, begin: bytes, order: Fields, tag: int, value: bytes) -> None:
        result = check(begin, replace(order, tag, value))
        assert result is not None
        assert result[:2] == (R.VALUE_IS_INCORRECT, tag)
        assert "is not one of its allowed values" in result[2]

    def test_begin_string_body_length_msg_type_must_come_first(
        self, begin: bytes, order: Fields
    ) -> None:
        fields = [(8, begin), (9, b"5"), order[1], order[0], *order[2:], (10, b"000")]
        issue = load_dictionary(begin.decode()).validate(FixMessage(fields))
        assert issue is not None
        assert (issue.reason, issue.ref_tag) == (R.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER, 35)

    def test_checksum_must_be_last(self, begin: bytes, order: Fields) -> None:
        fields = [(8, begin), (9, b"5"), *order[:-1], (10, b"000"), order[-1]]
        issue = load_dictionary(begin.decode()).validate(FixMessage(fields))
        assert issue is not None
        assert (issue.reason, issue.ref_tag) == (R.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER, 10)

    def test_most_important_problem_wins(self, begin: bytes, order: Fields) -> None:
        fields = replace(replace(order, 54, b"Z"), 38, b"x")  # enum and format problems
        fields = [*replace(replace(fields, 11, None), 1, b""), (55, b"X"), (7777, b"y")]
        dictionary = load_dictionary(begin.decode())
        expected = [
            (R.UNDEFINED_TAG, 7777),
            (R.TAG_SPECIFIED_WITHOUT_A_VALUE, 1),
            (R.TAG_APPEARS_MORE_THAN_ONCE, 55),
            (R.REQUIRED_TAG_MISSING, 11),
            (R.INCORRECT_DATA_FORMAT_FOR_VALUE, 38),
            (R.VALUE_IS_INCORRECT, 54),
        ]
        for reason, tag in expected:
            issue = dictionary.validate(message(begin, fields))
            assert issue is not None
            assert (issue.reason, issue.ref_tag) == (reason, tag)
            fields = _fix(fields, tag, order)
        assert dictionary.validate(message(begin, fields)) is None


def _fix(fields: Fields, tag: int, order: Fields) -> Fields:
    good = dict(order)
    if tag == 7777:
        return [f for f in fields if f[0] != 7777]
    if tag == 55:
        return [f for f in fields if f != (55, b"X")]
    if tag == 11:
        return [*fields, (11, good[11])]
    return replace(fields, tag, good[tag])


def test_validation_does_not_change_the_message() -> None:
    bad = message(b"FIX.4.4", [*NEW_ORDER_44, (7777, b"x")])
    before = list(bad.fields)

    load_dictionary("FIX.4.4").validate(bad)

    assert bad.fields == before


def test_valid_message_getters_work_after_validation() -> None:
    valid = message(b"FIX.4.2", NEW_ORDER_42)

    assert load_dictionary("FIX.4.2").validate(valid) is None
    assert valid.get(11) == b"ORD-1"
    assert valid.get_int(38) == 100


def test_negative_seq_num_is_a_format_error_only_where_it_is_a_seqnum() -> None:
    assert check(b"FIX.4.2", replace(NEW_ORDER_42, 34, b"-5")) is None  # INT in FIX 4.2
    result = check(b"FIX.4.4", replace(NEW_ORDER_44, 34, b"-5"))
    assert result is not None
    assert result[:2] == (R.INCORRECT_DATA_FORMAT_FOR_VALUE, 34)


class TestMultipleValueString:
    def test_unknown_item_is_incorrect(self) -> None:
        result = check(b"FIX.4.2", [*NEW_ORDER_42, (18, b"1 ZZ")])
        assert result is not None
        assert result[:2] == (R.VALUE_IS_INCORRECT, 18)

    def test_boolean_must_be_y_or_n(self) -> None:
        result = check(b"FIX.4.2", [*NEW_ORDER_42, (114, b"X")])
        assert result is not None
        assert result[:2] == (R.INCORRECT_DATA_FORMAT_FOR_VALUE, 114)


class TestRepeatingGroups:
    def test_fix44_party_count_too_high(self) -> None:
        result = check(b"FIX.4.4", replace(EXECUTION_REPORT_44, 453, b"3"))
        assert result == (
            R.INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP,
            453,
            "NoPartyIDs(453)=3 but 2 instance(s) follow",
        )

    def test_fix44_party_count_too_low(self) -> None:
        result = check(b"FIX.4.4", replace(EXECUTION_REPORT_44, 453, b"1"))
        assert result is not None
        assert result[:2] == (R.INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP, 453)

    def test_fix44_nested_party_sub_id_count(self) -> None:
        result = check(b"FIX.4.4", replace(EXECUTION_REPORT_44, 802, b"1"))
        assert result == (
            R.INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP,
            802,
            "NoPartySubIDs(802)=1 but 2 instance(s) follow",
        )

    def test_fix44_nested_member_value_checked(self) -> None:
        result = check(b"FIX.4.4", replace(EXECUTION_REPORT_44, 803, b"x"))
        assert result is not None
        assert result[:2] == (R.INCORRECT_DATA_FORMAT_FOR_VALUE, 803)

    def test_fix44_nested_member_enum_checked(self) -> None:
        result = check(b"FIX.4.4", replace(EXECUTION_REPORT_44, 452, b"999"))
        assert result is not None
        assert result[:2] == (R.VALUE_IS_INCORRECT, 452)

    def test_member_out_of_order_in_instance(self) -> None:
        fields = list(EXECUTION_REPORT_44)
        i = fields.index((447, b"D"))
        fields[i], fields[i + 1] = fields[i + 1], fields[i]  # 452 before 447
        result = check(b"FIX.4.4", fields)
        assert result is not None
        assert result[:2] == (R.REPEATING_GROUP_FIELDS_OUT_OF_ORDER, 447)

    def test_instance_not_starting_with_delimiter(self) -> None:
        fields = [*NEW_ORDER_44, (453, b"1"), (447, b"D"), (448, b"P"), (452, b"1")]
        result = check(b"FIX.4.4", fields)
        assert result is not None
        assert result[:2] == (R.REPEATING_GROUP_FIELDS_OUT_OF_ORDER, 447)

    def test_member_outside_its_group(self) -> None:
        fields = [*NEW_ORDER_44, (453, b"1"), (448, b"P"), (58, b"hi"), (452, b"1")]
        result = check(b"FIX.4.4", fields)
        assert result is not None
        assert result[:2] == (R.REPEATING_GROUP_FIELDS_OUT_OF_ORDER, 452)

    def test_member_repeated_in_one_instance(self) -> None:
        fields = [*NEW_ORDER_44, (453, b"1"), (448, b"P"), (452, b"1"), (452, b"3")]
        result = check(b"FIX.4.4", fields)
        assert result is not None
        assert result[:2] == (R.TAG_APPEARS_MORE_THAN_ONCE, 452)

    def test_count_not_a_number(self) -> None:
        result = check(b"FIX.4.4", replace(EXECUTION_REPORT_44, 453, b"two"))
        assert result is not None
        assert result[:2] == (R.INCORRECT_DATA_FORMAT_FOR_VALUE, 453)

    def test_fix42_contra_brokers_count(self) -> None:
        result = check(b"FIX.4.2", replace(EXECUTION_REPORT_42, 382, b"3"))
        assert result is not None
        assert result[:2] == (R.INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP, 382)

    def test_fix42_negative_count(self) -> None:
        result = check(b"FIX.4.2", replace(EXECUTION_REPORT_42, 382, b"-1"))
        assert result is not None
        assert result[:2] == (R.INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP, 382)

    def test_required_member_missing_in_instance(self) -> None:
        snapshot = [(35, b"W"), *HEADER, (55, b"AAPL"), (268, b"2")]
        good = [*snapshot, (269, b"0"), (270, b"190.25"), (269, b"1"), (270, b"190.5")]
        bad = [*snapshot, (269, b"0"), (270, b"190.25"), (269, b"1"), (271, b"5")]
        assert check(b"FIX.4.2", good) is None
        assert check(b"FIX.4.2", bad) == (
            R.REQUIRED_TAG_MISSING,
            270,
            "MDEntryPx(270) is missing in a NoMDEntries(268) instance",
        )

    def test_fix42_misc_fees_nested_in_allocation(self) -> None:
        allocation = [
            (35, b"J"),
            *HEADER,
            (70, b"AL-1"),
            (71, b"0"),
            (54, b"1"),
            (55, b"AAPL"),
            (53, b"100"),
            (6, b"190.25"),
            (75, b"20240102"),
            (78, b"1"),
            (79, b"ACCT1"),
            (80, b"100"),
            (136, b"2"),
            (137, b"1.5"),
            (139, b"1"),
            (137, b"0.25"),
            (139, b"2"),
        ]
        assert check(b"FIX.4.2", allocation) is None
        result = check(b"FIX.4.2", replace(allocation, 136, b"1"))
        assert result is not None
        assert result[:2] == (R.INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP, 136)


def test_reading_groups_with_the_dictionary() -> None:
    dictionary = load_dictionary("FIX.4.4")
    report = message(b"FIX.4.4", EXECUTION_REPORT_44)

    parties = dictionary.groups(report, 453)
    sub_group = dictionary.group("8", 802)

    assert [dict(p)[448] for p in parties] == [b"BROKER-A", b"CLIENT-B"]
    assert sub_group is not None
    assert sub_group.delimiter == 523
    assert sub_group.instances(parties[0]) == [
        [(523, b"DESK-7"), (803, b"1")],
        [
            (523, b"+44 20 0000"),
            (803, b"9"),
        ],
    ]
    assert sub_group.instances(parties[1]) == []
    assert dictionary.groups(report, 136) == [[(137, b"0.75"), (139, b"4"), (891, b"0")]]


def test_groups_of_unknown_count_tag_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        load_dictionary("FIX.4.4").groups(message(b"FIX.4.4", NEW_ORDER_44), 55)


def test_header_group_is_found_for_every_message() -> None:
    dictionary = load_dictionary("FIX.4.4")

    hops = dictionary.group("D", 627)

    assert hops is not None
    assert hops.members == (628, 629, 630)


def test_validate_a_frame_straight_from_the_wire() -> None:
    dictionary: Dictionary = load_dictionary("FIX.4.2")
    logon = parse(
        soh(
            "8=FIX.4.2|9=65|35=A|49=SERVER|56=CLIENT|34=177|52=20090107-18:15:16|98=0|108=30|10=062|"
        )
    )

    assert dictionary.validate(logon) is None


@given(st.binary(max_size=8) | st.text("0123456789.-+e ", max_size=8).map(str.encode))
def test_decimal_check_accepts_exactly_the_documented_language(value: bytes) -> None:
    check = check_for_type("PRICE")
    assert check is not None

    assert bool(check(value)) == (DECIMAL_PATTERN.fullmatch(value) is not None)
