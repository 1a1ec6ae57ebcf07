"""shared.memory: what track_tensor_memory counts (new storages, once) and what it does not (views, in-place ops, inputs)."""
import math

import torch

from shared.memory import track_tensor_memory


def test_a_known_allocation_is_counted_exactly():
    with track_tensor_memory() as mem:
        x = torch.empty(1000)  # float32
    assert (mem.peak_bytes, mem.largest_bytes, mem.current_bytes, mem.allocations) == (4000, 4000, 4000, 1)
    del x


def test_dtype_sets_the_bytes_per_element():
    with track_tensor_memory() as mem:
        a = torch.zeros(10, 10, dtype=torch.float64)
        b = torch.zeros(10, 10, dtype=torch.bfloat16)
    assert mem.peak_bytes == 800 + 200 and mem.largest_bytes == 800
    del a, b


def test_views_and_in_place_ops_add_nothing():
    with track_tensor_memory() as mem:
        x = torch.empty(1000)
        views = [x.view(10, 100), x.view(10, 100).t(), x[100:200], x.reshape(20, 50), x.unsqueeze(0)]
        x.mul_(2).add_(1)
        x[:10].zero_()
    assert (mem.peak_bytes, mem.current_bytes, mem.allocations) == (4000, 4000, 1), (
        f"a view or an in-place op was counted as new memory: peak {mem.peak_bytes}, allocations {mem.allocations}")
    del x, views


def test_tensors_made_before_the_block_are_not_counted_nor_their_views_or_in_place_ops():
    x = torch.randn(1000)
    with track_tensor_memory() as mem:
        y = x.view(10, 100).t()
        z = x[5:]
        x.add_(1)
    assert (mem.peak_bytes, mem.allocations) == (0, 0), (
        f"views of (or in-place ops on) an input were counted: peak {mem.peak_bytes}, allocations {mem.allocations}")
    with track_tensor_memory() as mem:
        w = x * 2
    assert mem.peak_bytes == 4000, "only the new result of x * 2 should count"
    del y, z, w


def test_a_freed_intermediate_lowers_current_but_not_peak():
    with track_tensor_memory() as mem:
        a = torch.ones(1000)
        b = a * 2      # 8000 bytes alive
        del a          # 4000 alive
        c = b + 1      # 8000 alive again, never more
        del b
    assert mem.peak_bytes == 8000 and mem.current_bytes == 4000 and mem.allocations == 3
    del c
    assert mem.current_bytes == 0, "freeing the last result after the block should bring current to 0"


def test_a_storage_is_freed_only_when_its_last_view_is():
    with track_tensor_memory() as mem:
        a = torch.ones(1000)
        v = a[:10]
        del a
        after_base = mem.current_bytes
    assert after_base == 4000, "the view keeps the whole storage alive"
    del v
    assert mem.current_bytes == 0


def test_naive_attention_scores_are_the_largest_tensor():
    t, d = 512, 16
    q, k, v = (torch.randn(t, d) for _ in range(3))
    with torch.no_grad(), track_tensor_memory() as mem:
        s = (q @ k.transpose(-2, -1)) / math.sqrt(d)
        out = torch.softmax(s, dim=-1) @ v
    assert mem.largest_bytes == t * t * 4
    assert mem.peak_bytes == 2 * t * t * 4 + t * d * 4, "scores and weights alive together, plus the output"
    del s, out


def test_the_stats_are_readable_after_the_block_and_stop_counting():
    with track_tensor_memory() as mem:
        x = torch.empty(250)
    y = torch.empty(10_000)  # after the block: not counted
    assert (mem.peak_bytes, mem.largest_bytes, mem.allocations) == (1000, 1000, 1)
    del x, y
