from infra.diagrams import main, mermaid


def test_the_committed_diagrams_match_the_state_machines():
    assert main(["--check"]) == 0, "run: python -m infra.diagrams"


def test_a_diagram_shows_every_transition_including_timeouts():
    definition = {
        "StartAt": "Wait for an order",
        "States": {
            "Wait for an order": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Send reminder"}],
                "Next": "Done",
            },
            "Send reminder": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    text = mermaid(definition)
    assert 'Wait_for_an_order -.->|"timeout"| Send_reminder' in text
    assert "Wait_for_an_order --> Done" in text
    assert "⏳" in text
