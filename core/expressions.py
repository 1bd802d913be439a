"""A small library of expressions as ARKit weights, for artists to pose and key.

Values are the weights of Apple's blend shapes (0..1); keys not listed stay 0.
The blink is a timing (seconds) rather than a pose.
"""

PRESETS = {
    "smile": {"mouthSmileLeft": 0.8, "mouthSmileRight": 0.8, "cheekSquintLeft": 0.4,
              "cheekSquintRight": 0.4, "eyeSquintLeft": 0.25, "eyeSquintRight": 0.25, "jawOpen": 0.05},
    "surprise": {"browInnerUp": 0.8, "browOuterUpLeft": 0.7, "browOuterUpRight": 0.7,
                 "eyeWideLeft": 0.7, "eyeWideRight": 0.7, "jawOpen": 0.35, "mouthFunnel": 0.2},
    "anger": {"browDownLeft": 0.9, "browDownRight": 0.9, "eyeSquintLeft": 0.4, "eyeSquintRight": 0.4,
              "noseSneerLeft": 0.5, "noseSneerRight": 0.5, "mouthPressLeft": 0.4, "mouthPressRight": 0.4,
              "jawForward": 0.1},
    "sadness": {"browInnerUp": 0.6, "mouthFrownLeft": 0.7, "mouthFrownRight": 0.7, "mouthShrugLower": 0.3,
                "eyeSquintLeft": 0.15, "eyeSquintRight": 0.15, "eyeLookDownLeft": 0.2, "eyeLookDownRight": 0.2},
    "disgust": {"noseSneerLeft": 0.8, "noseSneerRight": 0.8, "mouthUpperUpLeft": 0.6,
                "mouthUpperUpRight": 0.6, "browDownLeft": 0.4, "browDownRight": 0.4, "mouthShrugUpper": 0.3},
    "neutral": {},
}

# A natural blink: the lids close in about 0.1 s and open again in about 0.15 s.
BLINK_CLOSE_S, BLINK_OPEN_S = 0.10, 0.15
