"""The student's side, for real: JupyterLab (started with `grade --lab`, as the README tells
students) serves a student's notebook (Part 1 solved, Part 3 still stubs); headless Chromium
opens it, runs the cells above the self-check, runs the self-check, and reads its table. Its
verdict on every visible check must be the final grade's (tests/test_course.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from grader.checks import all_specs
from grader.runtime.cluster import free_port
from conftest import CHROMEDRIVER, CHROMIUM, headless_chromium
from test_course import PART1, with_solutions
from conftest import ACTOR_TREE

pytestmark = [pytest.mark.slow, pytest.mark.ray, pytest.mark.browser]
TOKEN = "self-check-test"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("no browser: install Debian's chromium and chromium-driver (.ci/run does, as root)")
    pytest.importorskip("selenium", reason="selenium comes with the test extra: pip install -e '.[test]'")
    home = tmp_path_factory.mktemp("lab")
    notebook = home / "actor_tree.ipynb"
    shutil.copyfile(ACTOR_TREE.release, notebook)
    with_solutions(notebook, PART1)
    port = free_port()
    settings = home / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Render every cell (JupyterLab 4 only renders those in view by default), so the test can find them.
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(home / ".runtime"), JUPYTER_CONFIG_DIR=str(home / ".config"),
               JUPYTERLAB_SETTINGS_DIR=str(home / ".settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / ".workspaces"))
    env.pop("ACTOR_TREE_GRADING", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "grade"), "--lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={home}", "--allow-root",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=open(home / "lab.log", "wb"), start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (home / "lab.log").read_text()[-3000:]
                time.sleep(1)
        yield url, home
    finally:
        server.terminate()  # the server stops its kernels; each kernel's atexit stops the Ray it started
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def browser(lab):
    with headless_chromium(lab[1] / ".chromium") as driver:
        yield driver


def _menu(driver, wait, menu: str, command: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready

    top = wait.until(ready.element_to_be_clickable(
        (By.XPATH, f"//li[contains(@class,'lm-MenuBar-item')][.//div[normalize-space()='{menu}']]")))
    top.click()
    wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, f"li.lm-Menu-item[data-command='{command}']"))).click()


def test_self_check_runs_in_jupyterlab_and_agrees_with_the_grade(lab, browser):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    # JupyterLab redraws outputs as they change (the self-check's table after each check): an
    # element found a moment ago may be gone by the next look, so a wait looks again.
    redrawn = (StaleElementReferenceException,)
    url, home = lab
    browser.get(f"{url}/lab/tree/actor_tree.ipynb?token={TOKEN}")
    wait = WebDriverWait(browser, 120)
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")))
    cell = wait.until(ready.presence_of_element_located(
        (By.XPATH, "//div[contains(@class,'jp-CodeCell')][contains(., 'self_check()')]")))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", cell)
    cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").click()
    _menu(browser, wait, "Run", "notebook:run-all-above")
    # Part 3's demo raises (its stubs are not written yet), and Jupyter then drops the queued cells,
    # as it would for the student: run the self-check once the cells above have run.
    last_demo_output = ("//div[contains(@class,'jp-CodeCell')][contains(., 'n_iterations = 3, 60')]"
                        "//div[contains(concat(' ', @class, ' '), ' jp-OutputArea-output ')]")
    WebDriverWait(browser, 300, poll_frequency=1, ignored_exceptions=redrawn).until(
        lambda d: d.find_elements(By.XPATH, last_demo_output)
        and not d.find_elements(By.XPATH, "//div[contains(@class,'jp-InputPrompt')][contains(., '[*]')]"))
    cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").click()
    _menu(browser, wait, "Run", "notebook:run-cell")
    try:
        table = WebDriverWait(browser, 300, poll_frequency=2, ignored_exceptions=redrawn).until(lambda d: next(
            (t for t in d.find_elements(By.CSS_SELECTOR, ".actor-tree-self-check")
             if t.text.startswith("Self-check:")), None))
    except Exception:
        browser.save_screenshot(str(home / "timeout.png"))
        outputs = [o.text[:300] for o in browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")]
        pytest.fail(f"no finished self-check table; screenshot {home / 'timeout.png'}; outputs: {outputs}")
    rows = {r.get_attribute("data-check"): r.get_attribute("class").split()[-1]
            for r in table.find_elements(By.CSS_SELECTOR, "tr.check")}
    browser.save_screenshot(str(home / "self-check.png"))
    visible = [s.id for s in all_specs(ACTOR_TREE) if s.visibility == "visible"]
    assert sorted(rows) == sorted(visible), table.text
    expected = {i: ("passed" if i.startswith("supervisor.") else "failed") for i in visible}
    assert rows == expected, table.text
    supervisor_points = sum(s.points for s in all_specs(ACTOR_TREE) if s.id.startswith("supervisor."))
    assert f"Self-check: {supervisor_points:g} / 19 points" in table.text
    assert "not implemented yet" in table.text
