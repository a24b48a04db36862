import pytest

from civic.common.emails import mailbox_key


@pytest.mark.parametrize(
    "typed, key",
    [
        ("Jane@Example.org", "jane@example.org"),
        ("  jane@example.org \n", "jane@example.org"),
        ("Jane.Doe+news@GoogleMail.com", "janedoe@gmail.com"),
        ("j.a.n.e@gmail.com", "jane@gmail.com"),
        ("jane+council@outlook.com", "jane@outlook.com"),
        ("jane.doe@outlook.com", "jane.doe@outlook.com"),  # Outlook keeps dots
        ("jane+tag@example.org", "jane+tag@example.org"),  # unknown provider: the tag may matter
        ("jane@gmail.com.", "jane@gmail.com"),
    ],
)
def test_mailbox_key(typed, key):
    assert mailbox_key(typed) == key
