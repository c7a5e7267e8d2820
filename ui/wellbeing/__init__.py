"""Wellbeing on screen: the Qt layer over ``review.wellbeing`` (which holds all the logic and is Qt-free).

One job per module:

``controller``    ``WellbeingController``: one person's ``WellbeingSession`` on a 1 s timer, its notices as signals
``meter``         ``ExposureMeter``: "Revealed today 3 min · Severe 1 h 10 / 4 h · Since break 42 min"
``prompts``       ``BreakBanner`` (the gentle strip) and ``BreakDialog`` (modal, limited snooze)
``break_screen``  ``BreakScreen``: covers everything while a break counts down; cannot be dismissed early
``cooldown``      the optional falling-block puzzle on the break screen
``widgets``       ``WellbeingWidgets``: builds the widgets above and connects them to a controller

Desktop wiring (``desktop.pages.attach_wellbeing``), once per sign-in::

    controller = WellbeingController(store, user, store.clock, load_policy(store), parent=window,
                                     ops=operations.current())  # its reads and writes off the GUI thread
    widgets = WellbeingWidgets(controller, host=window.centralWidget(), dialog_parent=window)
    window.statusBar().addPermanentWidget(widgets.meter)   # always visible, small
    window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, widgets.banner)  # a row of its own
    window.addAction(widgets.take_break_action)            # Ctrl+B, and in the Session menu
    controller.watch_input(QGuiApplication.instance())     # any key/mouse input = activity (idle detection)
    controller.start()                                     # a 1 s QTimer calling tick()
    # on sign-out / close: controller.close(); widgets.close()

``host`` is what the break screen covers: the whole central widget (pages
and navigation rail), so nothing from a page shows during a break.

A page that shows items (review, audit), given the controller:

- before claiming: ``controller.may_claim()`` (False during a break or when
  one is committed to start at the next item), and ``severe=controller.serving_rule``;
- when an item is on screen: ``controller.item_shown(item)``;
- when it leaves: ``controller.item_left(record)`` with the item view's
  ``ExposureRecord`` (or None). That one call books the exposure row and
  feeds the coach, in that order; call it last, because an enforced break
  may start inside it;
- ``controller.set_window_active(active)`` from the item view's ``active_changed``;
- ``enforce_break`` / ``idle_pause``: take the item off screen and give it
  back; ``break_over``: show the idle text.

Signals (all emitted synchronously from the call that caused them):
``banner(str)``, ``dialog(str, snoozes_left)``, ``enforce_break(seconds,
cooldown, text)`` — every break start, chosen or enforced, and a stored break
taken up again (after a sign-in, or begun in another window); a break cannot
end early — ``break_remaining(seconds)``, ``break_over()``, ``prompt_cleared()``
(time away already counted as the break), ``idle_pause()``,
``meter_changed(MeterState)`` and ``serving_rule_changed(str)`` (only on change).

Developer clock: ``VEIL_CLOCK_SPEED=60`` (``desktop.devclock``) makes a
minute pass each second, so a run under a virtual screen reaches the
50-minute prompt in under a minute. Use the same clock for the store.
"""
