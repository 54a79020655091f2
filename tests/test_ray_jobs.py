"""The task scheduling loop of embed.batch.ray_jobs, against a stand-in for the ray module (no cluster)."""

from __future__ import annotations

import random

from embed.batch.ray_jobs import run_ordered


class _Ref:
    def __init__(self, value):
        self.value = value


class _FakeRay:
    """Finishes submitted tasks in a random order; records how many were in flight at most."""

    def __init__(self, cpus: int) -> None:
        self.cpus = cpus
        self.in_flight = 0
        self.most = 0
        self.rng = random.Random(3)

    def cluster_resources(self):
        return {"CPU": self.cpus}

    def wait(self, refs, num_returns=1):
        done = self.rng.choice(refs)
        return [done], [r for r in refs if r is not done]

    def get(self, ref):
        self.in_flight -= 1
        return ref.value

    def task(self, fn):
        fake = self

        class Remote:
            _function_name = "double"

            def remote(self, item, *shared):
                fake.in_flight += 1
                fake.most = max(fake.most, fake.in_flight)
                return _Ref(fn(item, *shared))

        return Remote()


def test_every_item_comes_back_once_with_its_position_and_the_window_is_bounded():
    ray = _FakeRay(cpus=2)
    results = dict(run_ordered(ray, ray.task(lambda x, k: x * k), list(range(50)), 3))
    assert results == {i: 3 * i for i in range(50)}
    assert ray.most == 8  # IN_FLIGHT_PER_CPU * cpus


def test_no_items_submit_nothing():
    ray = _FakeRay(cpus=4)
    assert list(run_ordered(ray, ray.task(lambda x: x), [])) == []
