"""scripts/hot_functions: the origin's hot functions from callgrind's profiles.

Run by scripts/test: python3 -m unittest tests/hot_functions_test.py
"""

import subprocess
import tempfile
import unittest
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "hot_functions"

PROGRAM = """
int warm(int x) { return x * 3; }
int hot(int x) { return warm(x) + 1; }
int cold(int x) { return x - 1; }
int main(int argc, char **argv) { (void)argv; return hot(argc) + cold(argc); }
"""


class HotFunctionsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = Path(self.dir.name)
        source = self.root / "p.c"
        source.write_text(PROGRAM)
        self.binary = self.root / "bootstrap"
        subprocess.run(["cc", "-O0", "-o", str(self.binary), str(source)], check=True)
        self.profiles = self.root / "profiles"
        self.profiles.mkdir()

    def tearDown(self):
        self.dir.cleanup()

    def profile(self, part, body):
        path = self.profiles / f"callgrind.4242.{part}"
        path.write_text(
            "# callgrind format\nversion: 1\npositions: line\nevents: Ir\n\n" + body
        )

    def run_script(self):
        return subprocess.run(
            [str(SCRIPT), str(self.profiles), str(self.binary)],
            check=False,
            capture_output=True,
            text=True,
        )

    def test_functions_are_ordered_by_their_own_instructions_over_every_profile(self):
        # `hot` spends 1,020 of its own and calls `warm` for 500: that call's cost
        # is `warm`'s (1,100 of its own), not `hot`'s. Names are defined once, in the first profile
        # that uses them, and only by id after. libc's functions and names the
        # binary does not define are left out.
        self.profile(
            1,
            f"ob=(1) {self.binary}\n"
            "fn=(1) hot\n0 10\ncfn=(2) warm\ncalls=1 0\n0 500\n"
            "fn=(2)\n0 900\n"
            "fn=(3) gone_since\n0 9000\n"
            "ob=(2) /usr/lib/x86_64-linux-gnu/libc.so.6\n"
            "fn=(4) memcpy\n0 100000\n",
        )
        self.profile(
            2,
            "ob=(1)\nfn=(2)\n0 200\nfn=(1)\n+1 5\n-1 5\nfn=(5) cold\n0 1\n",
        )
        self.profile(10, "ob=(1)\nfn=(1)\n0 1000\n")
        result = self.run_script()
        self.assertEqual(result.returncode, 0, result.stderr)
        names = [l for l in result.stdout.splitlines() if not l.startswith("#")]
        self.assertEqual(names, ["warm", "hot", "cold"])

    def test_a_binary_without_symbols_is_refused_by_name(self):
        subprocess.run(["strip", str(self.binary)], check=True)
        self.profile(1, f"ob=(1) {self.binary}\nfn=(1) hot\n0 10\n")
        result = self.run_script()
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("-C strip=none", result.stderr)

    def test_the_check_fails_when_most_listed_names_are_not_the_builds(self):
        # The build's crates: an archive of the program's object, as an rlib is.
        deps = self.root / "deps"
        deps.mkdir()
        objects = self.root / "p.o"
        subprocess.run(
            ["cc", "-c", "-o", str(objects), str(self.root / "p.c")], check=True
        )
        subprocess.run(["ar", "rcs", str(deps / "libp-0123.rlib"), str(objects)], check=True)
        listing = self.root / "hot-functions.txt"

        def check(*names):
            listing.write_text("# a header\n" + "\n".join(names) + "\n")
            return subprocess.run(
                [str(SCRIPT), "--check", str(listing), str(deps)],
                check=False,
                capture_output=True,
                text=True,
            )

        fresh = check("hot", "warm", "made_at_link")
        self.assertEqual(fresh.returncode, 0, fresh.stderr)
        self.assertIn("2 of the 3", fresh.stdout)
        stale = check("hot", "_ZN3old4name17h0000000000000000E", "made_at_link")
        self.assertNotEqual(stale.returncode, 0)
        self.assertIn("write it again", stale.stderr)

    def test_no_profiles_is_an_error(self):
        result = self.run_script()
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("no callgrind", result.stderr)


if __name__ == "__main__":
    unittest.main()
