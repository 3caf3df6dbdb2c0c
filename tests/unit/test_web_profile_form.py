"""The profile form as the service's ``UpdateProfile`` receives it: pure, no server."""

from huddle_gateway.web.pages.profile import _sentence, _typed


def test_an_unticked_box_is_a_consent_withdrawn_and_blank_lines_are_no_topics() -> None:
    typed = _typed(
        {
            "display_name": " Jo ",
            "job_title": "",
            "topics": "Falls\r\n\r\n  \nMaternity",
            "contactable": "yes",
        }
    )
    assert typed == {
        "display_name": " Jo ",  # as typed: trimming and checking are the service's
        "job_title": "",
        "topics": ["Falls", "Maternity"],
        "listed_in_directory": False,
        "contactable": True,
        "listed_as_expert": False,
    }


def test_a_box_sent_with_another_value_is_not_ticked() -> None:
    assert _typed({"listed_in_directory": "on"})["listed_in_directory"] is False


def test_a_message_about_a_field_reads_as_a_sentence() -> None:
    assert _sentence("display_name", "must not be x").startswith("Your name must not")
    assert _sentence("topics", "Enter at least 2 characters") == "Enter at least 2 characters"
    assert _sentence("elsewhere", "must not be x") == "must not be x"
