"""`feedd import` of the three seed articles (../shared/seeds, beside the repository: the design
keeps their text out of the project). A checkout without them reports this test as skipped
(exit 77) rather than passed; everything else about import is in test_import_check.py."""
import os
import shutil

import harness
from harness import SOURCE_DIR, FeeddTestCase, feedparser_entries
from test_import_check import TREE

SEEDS = os.path.join(SOURCE_DIR, "..", "shared", "seeds")


class SeedsTest(FeeddTestCase):
    def test_seeds_import(self):
        if not os.path.isdir(SEEDS):
            self.skipTest("shared/seeds is not beside the repository")
        self.write_config(TREE)
        shutil.copytree(SEEDS, os.path.join(self.dir, "drop", "seeds"))
        proc = self.feedd("import", "-c", "feeds.yaml", "drop/seeds", check=0)
        self.assertIn("import: 3 new, 0 duplicate, 0 failed", proc.stdout)
        self.assertEqual(len(self.posts()), 3)
        self.assertEqual(len(feedparser_entries(os.path.join(self.output, "feeds/all.xml")).entries), 3)


if __name__ == "__main__":
    harness.main()
