"""`flask search reindex` rebuilds the index with a progress bar; `flask search check` names what the
index lacks or has too many."""

from civic.discussions.services.comments import post_comment
from civic.search.backend import SearchDocument
from civic.search.indexing import search_backend


def test_reindex_rebuilds_the_index_with_a_progress_bar(app, open_discussion, citizen):
    comment = post_comment(citizen, open_discussion, body="Tram stops need shelters from the rain")
    search_backend().clear()
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexing" in result.output
    assert "Indexed 2 public items of 2." in result.output
    assert search_backend().keys() == {("discussion", open_discussion.id), ("comment", comment.id)}


def test_check_names_missing_and_extra_entries_and_fails(app, open_discussion, citizen):
    comment = post_comment(citizen, open_discussion, body="Tram stops need shelters from the rain")
    search_backend().remove([("comment", comment.id)])
    search_backend().index([SearchDocument("petition", 404, title="Gone")])
    result = app.test_cli_runner().invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert "Missing from the index: 1" in result.output and f"comment {comment.id}" in result.output
    assert "In the index but not public: 1" in result.output and "petition 404" in result.output


def test_check_says_when_the_index_is_in_step(app, open_discussion):
    result = app.test_cli_runner().invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert "in step with the database" in result.output
