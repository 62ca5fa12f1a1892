"""scripts/build_cache_sources: a clone's files fresh to cargo by their bytes.

Run by scripts/test: python3 -m unittest tests/build_cache_sources_test.py
"""

import os
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "build_cache_sources"


class BuildCacheSourcesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.repo = Path(self.dir.name) / "clone"
        self.cache = Path(self.dir.name) / "cache"
        self.cache.mkdir()
        self.repo.mkdir()
        self.git("init", "-q")
        (self.repo / "src").mkdir()
        (self.repo / "src" / "lib.rs").write_text("pub fn f() {}\n")
        (self.repo / "src" / "main.rs").write_text("fn main() {}\n")
        self.git("add", "-A")

    def tearDown(self):
        self.dir.cleanup()

    def git(self, *args):
        subprocess.run(["git", *args], cwd=self.repo, check=True)

    def run_script(self, verb):
        subprocess.run(["python3", str(SCRIPT), verb, str(self.cache)], cwd=self.repo, check=True,
                       stdout=subprocess.DEVNULL)

    def mtime(self, name):
        return os.stat(self.repo / name).st_mtime_ns

    def new_clone_time(self):
        """Every file new again, as in a fresh clone."""
        now = time.time_ns()
        for name in ("src/lib.rs", "src/main.rs"):
            os.utime(self.repo / name, ns=(now, now))

    def test_unchanged_files_get_back_the_time_of_the_run_that_built_them(self):
        before = time.time_ns()
        self.run_script("restore")
        first = self.mtime("src/lib.rs")
        self.assertGreaterEqual(first, before, "a file no run recorded gets this run's start")
        self.assertEqual(first, self.mtime("src/main.rs"))
        self.run_script("record")
        time.sleep(0.01)
        self.new_clone_time()
        self.run_script("restore")
        self.assertEqual(self.mtime("src/lib.rs"), first)
        self.assertEqual(self.mtime("src/main.rs"), first)
        self.run_script("record")
        # Still unchanged a run later: still the time of the run that first built it.
        self.new_clone_time()
        self.run_script("restore")
        self.assertEqual(self.mtime("src/lib.rs"), first)

    def test_a_changed_file_gets_the_new_runs_start_after_every_earlier_build(self):
        self.run_script("restore")
        first = self.mtime("src/main.rs")
        self.run_script("record")
        time.sleep(0.01)
        (self.repo / "src" / "lib.rs").write_text("pub fn f() -> u8 { 1 }\n")
        self.new_clone_time()
        started = time.time_ns()
        self.run_script("restore")
        self.assertGreaterEqual(self.mtime("src/lib.rs"), started)
        self.assertEqual(self.mtime("src/main.rs"), first)
        self.run_script("record")
        # Changed back: its bytes are not what the last recorded run built.
        (self.repo / "src" / "lib.rs").write_text("pub fn f() {}\n")
        self.new_clone_time()
        again = time.time_ns()
        self.run_script("restore")
        self.assertGreaterEqual(self.mtime("src/lib.rs"), again)

    def test_a_run_that_never_recorded_leaves_nothing_to_trust(self):
        self.run_script("restore")
        self.run_script("record")
        self.new_clone_time()
        self.run_script("restore")  # this run fails: no record
        self.assertFalse((self.cache / "folio-sources.json").exists())
        time.sleep(0.01)
        self.new_clone_time()
        started = time.time_ns()
        self.run_script("restore")
        self.assertGreaterEqual(self.mtime("src/lib.rs"), started)
        self.assertGreaterEqual(self.mtime("src/main.rs"), started)

    def test_a_clone_in_another_directory_keeps_the_record(self):
        self.run_script("restore")
        first = self.mtime("src/lib.rs")
        self.run_script("record")
        moved = Path(self.dir.name) / "elsewhere"
        self.repo.rename(moved)
        self.repo = moved
        time.sleep(0.01)
        self.new_clone_time()
        self.run_script("restore")
        self.assertEqual(self.mtime("src/lib.rs"), first)

    def test_untracked_files_keep_their_time(self):
        untracked = self.repo / "notes.txt"
        untracked.write_text("mine\n")
        os.utime(untracked, ns=(1_000_000_000, 1_000_000_000))
        self.run_script("restore")
        self.assertEqual(self.mtime("notes.txt"), 1_000_000_000)


class NoBuildBakesInItsCheckout(unittest.TestCase):
    """What lets a record made in one clone's directory hold in another's: no
    tracked Rust source reads `env!("CARGO_MANIFEST_DIR")`, which bakes the
    checkout's path into the build without cargo counting it (a test reused from
    another clone would read that clone's files). folio_testkit::package_dir reads
    it when the test runs."""

    def test_no_tracked_rust_source_bakes_in_its_checkout(self):
        root = SCRIPT.parent.parent
        listed = subprocess.run(["git", "ls-files", "-z", "*.rs"], cwd=root, capture_output=True,
                                check=True).stdout.decode().split("\0")
        macro = "env!(" + '"CARGO_MANIFEST_DIR")'
        found = [path for path in listed if path and macro in (root / path).read_text()]
        self.assertTrue(listed, "no Rust sources listed")
        self.assertEqual(found, [], "read it when the test runs: folio_testkit::package_dir()")


if __name__ == "__main__":
    unittest.main()
