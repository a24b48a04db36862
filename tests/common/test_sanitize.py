"""The sanitiser against known XSS vectors (OWASP filter evasion cheat sheet and others)."""

import re

import pytest

from civic.common.sanitize import plain_text, sanitize_html

XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;">x</a>',
    "<a href=\"jav&#x09;ascript:alert('XSS');\">x</a>",
    "<a href=\"jav&#x0A;ascript:alert('XSS');\">x</a>",
    "<a href=\" &#14;  javascript:alert('XSS');\">x</a>",
    '<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<<SCRIPT>alert("XSS");//<</SCRIPT>',
    "<SCRIPT SRC=http://xss.rocks/xss.js?< B >",
    "<iframe src=http://xss.rocks/scriptlet.html <",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<svg/onload=alert('XSS')>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<p style=\"width: expression(alert('XSS'));\">x</p>",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    '<OBJECT TYPE="text/x-scriptlet" DATA="http://xss.rocks/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwvc3ZnPg==" type="image/svg+xml" AllowScriptAccess="always"></EMBED>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<base href=\"javascript:alert('XSS');//\">",
    "<details open ontoggle=alert(1)>",
    '<a href="https://example.org" onclick="alert(1)">ok</a>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<xmp><p title="</xmp><img src=x onerror=alert(1)>">',
    '<a href="java\0script:alert(1)">x</a>',
    "<link rel=stylesheet href=javascript:alert(1)>",
    '<video><source onerror="alert(1)">',
    "<marquee onstart=alert(1)>x</marquee>",
]

DANGEROUS = re.compile(
    r"<\s*(script|style|iframe|frame|object|embed|img|svg|math|meta|link|base|form|input|body|"
    r"table|video|details|marquee|noscript|xmp)\b|\bon[a-z]+\s*=|javascript:|vbscript:|data:|expression\(",
    re.IGNORECASE,
)


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_known_xss_vectors_are_neutralised(vector):
    cleaned = sanitize_html(vector)
    assert not DANGEROUS.search(cleaned), cleaned


def test_allowed_markup_survives():
    html = (
        '<p>Read <a href="https://example.org/plan" title="plan">the <em>plan</em></a></p>'
        "<ul><li><strong>one</strong></li></ul><blockquote>quote</blockquote><pre><code>x</code></pre>"
    )
    cleaned = sanitize_html(html)
    for fragment in (
        "<p>",
        "<em>plan</em>",
        "<strong>one</strong>",
        "<blockquote>",
        "<code>x</code>",
        'href="https://example.org/plan"',
    ):
        assert fragment in cleaned


def test_links_get_nofollow_ugc_noopener():
    assert 'rel="nofollow ugc noopener"' in sanitize_html('<a href="https://example.org">x</a>')


def test_class_id_and_style_attributes_are_dropped():
    cleaned = sanitize_html('<p class="x" id="y" style="color:red">z</p>')
    assert cleaned == "<p>z</p>"


def test_plain_text_removes_every_tag():
    assert plain_text("<p>Hello <b>world</b><script>x</script></p>") == "Hello world"


def test_empty_input():
    assert sanitize_html("") == "" and sanitize_html(None) == ""
