"""MediaConvert billing, S3 key forms and the buffer simulator (dojo.sims, module m03)."""

from __future__ import annotations

import pytest

from dojo.sims import key_forms, mediaconvert_cost, simulate_buffer


def test_each_output_is_billed_in_10_second_steps() -> None:
    """Check that 42 s bills 50 s per output, for each of three renditions."""
    bill = mediaconvert_cost(42, videos=2, renditions=3, tier="SD")
    assert bill.billed_seconds_per_output == 50 and bill.outputs == 6
    assert bill.usd == pytest.approx(6 * 50 / 60 * 0.0075)


def test_an_unknown_tier_is_refused() -> None:
    """Check that a tier without a price says which tiers exist."""
    with pytest.raises(ValueError, match="SD"):
        mediaconvert_cost(10, tier="8K")


def test_key_forms_follow_a_name_from_upload_to_job() -> None:
    """Check spaces, plus signs and folders: encoded in events, decoded by unquote_plus."""
    forms = key_forms("clips/Video Of a+b.mp4", bucket="b")
    assert forms.event_key == "clips/Video+Of+a%2Bb.mp4"
    assert forms.decoded_key == "clips/Video Of a+b.mp4"
    assert forms.book_decoded_key == "clips/Video+Of+a%2Bb.mp4"
    assert forms.file_input == "s3://b/clips/Video Of a+b.mp4"


def test_a_buffer_loses_far_fewer_images() -> None:
    """Check that retrying from a queue loses far fewer images, and none fail at 0%."""
    run = simulate_buffer(images=2000, failure_rate=0.2, seed=1)
    assert run.lost_with_buffer < run.lost_without_buffer / 20
    assert simulate_buffer(failure_rate=0.0).lost_without_buffer == 0
