"""The weekly bulletin's 急险 part (extra key ``urgent``): the week's urgent petitions received, on
time at dispatch and at feedback, and late by two hours or more (督办), as of the week's end."""

from __future__ import annotations

from gxq import periods
from gxq.petitions import compute


def test_the_weeks_urgent_figures(dept):
    u = {"urgent": True}
    dept.add("U1", received="2021-03-02 10:00:00", dispatch_due="2021-03-02 12:00:00", dispatched="2021-03-02 11:00:00",
             feedback_due="2021-03-03 12:00:00", feedback="2021-03-03 11:00:00", **u)
    dept.add("U2", received="2021-03-02 10:00:00", dispatch_due="2021-03-02 10:30:00", dispatched="2021-03-02 12:30:00",
             feedback_due="2021-03-03 12:00:00", feedback="2021-03-03 13:00:00", **u)  # 120 minutes late: 督办
    dept.add("U3", received="2021-03-07 23:00:00", dispatch_due="2021-03-08 01:00:00", lead=None, **u)  # due after W
    dept.add("U4", received="2021-03-07 20:00:00", dispatch_due="2021-03-07 21:00:00", lead=None, **u)  # 180 at W's end
    dept.add("U9", received="2021-03-07 23:00:00", dispatch_due="2021-03-08 01:00:00",
             dispatched="2021-03-07 23:30:00", feedback_due="2021-03-09 10:00:00", **u)
    dept.add("U5", received="2021-03-02 10:00:00", dispatch_due="2021-03-02 10:30:00", status="已撤销", **u)
    dept.add("U6", received="2021-03-02 10:00:00", dispatch_due="2021-03-02 10:30:00",
             dispatched="2021-03-01 10:00:00", **u)  # invalid: dispatched before received
    dept.add("U7", received="2021-03-02 10:00:00", dispatch_due="2021-03-02 10:30:00")  # not urgent
    dept.add("U8", received="2021-02-28 10:00:00", dispatch_due="2021-02-28 10:30:00", **u)  # the week before
    week = periods.parse_key("2021-W09", ("week",))
    assert compute.urgent_week(dept.engine, week) == {"received": 5, "dispatched_on_time": 2, "fed_back_on_time": 1,
                                                      "escalated": 2}
