"""``check --deploy`` warns when the simulator (which lets anyone "pay") is on in a deployment."""

from egov.payments.checks import simulator_outside_development


def test_no_warning_in_development(settings):
    settings.DEBUG = True
    assert simulator_outside_development(None) == []


def test_no_warning_in_a_deployment_without_the_simulator(settings):
    settings.DEBUG = False
    settings.TESTING = False
    settings.EGOV_PAYMENT_SIMULATOR = False
    assert simulator_outside_development(None) == []


def test_warning_when_a_deployment_turns_the_simulator_on(settings):
    settings.DEBUG = False
    settings.TESTING = False
    settings.EGOV_PAYMENT_SIMULATOR = True
    assert [w.id for w in simulator_outside_development(None)] == ["payments.W001"]
