// Sensors, a metering plug and a thermostat. Network file for the zwave-js mock controller.
//
//   node 5: multisensor: Multilevel Sensor (0x31) v11 with air temperature 21.5 °C and
//           humidity 45 %, Notification (0x71) v8 home security / motion; a Basic Set (the
//           test's trigger: real sensors see someone walk by) makes it send "motion detected"
//   node 6: metering plug: Binary Switch (0x25) v2 and Meter (0x32) v3, electric, 12.34 kWh and
//           60 W while on (0 W off); switching it sends the new power unasked, as plugs do
//   node 7: thermostat: Thermostat Mode (0x40) v3 off/heat/cool/auto, Thermostat Setpoint
//           (0x43) v3 heating 20 °C, Multilevel Sensor air temperature 19.5 °C
//   node 8: wall switch with a scene paddle: Binary Switch (0x25) v2 and Central Scene (0x5B)
//           v3; switching it (the test's trigger for a finger on the paddle) also sends a
//           Central Scene Notification: scene 1, key pressed once
module.exports.default = ({ require }) => {
	const {
		BasicCCSet,
		BinarySwitchCCSet,
		CentralSceneCCNotification,
		MeterCCReport,
		NotificationCCReport,
	} = require("@zwave-js/cc");
	let sequence = 0;
	// zwave-js only ever receives Central Scene Notifications, so its class has no
	// serializer: this one writes `sequence keyAttributes scene` (CC spec 4.16.5).
	class ScenePress extends CentralSceneCCNotification {
		serialize(ctx) {
			this.payload = Uint8Array.from([this.sequenceNumber, this.keyAttribute, this.sceneNumber]);
			return super.serialize(ctx);
		}
	}
	let plugOn = false;
	const watts = () => (plugOn ? 60 : 0);
	return {
		controller: { homeId: 0xc0ffee0a, ownNodeId: 1 },
		nodes: [
			{
				id: 5,
				capabilities: {
					genericDeviceClass: 0x21,
					specificDeviceClass: 0x01,
					commandClasses: [
						{
							ccId: 0x31,
							isSupported: true,
							version: 11,
							sensors: { 1: { supportedScales: [0] }, 5: { supportedScales: [0] } },
							getValue: (type) => (type === 5 ? 45 : 21.5),
						},
						{
							ccId: 0x71,
							isSupported: true,
							version: 8,
							supportsV1Alarm: false,
							notificationTypesAndEvents: { 7: [8] },
						},
						{ ccId: 0x20, isSupported: true, version: 1 },
					],
				},
			},
			{
				id: 6,
				capabilities: {
					genericDeviceClass: 0x10,
					specificDeviceClass: 0x01,
					commandClasses: [
						{ ccId: 0x25, isSupported: true, version: 2, defaultValue: false },
						{
							ccId: 0x32,
							isSupported: true,
							version: 3,
							meterType: 1,
							supportedScales: [0, 2],
							supportedRateTypes: [1],
							supportsReset: false,
							getValue: (scale) => (scale === 0 ? 12.34 : watts()),
						},
					],
				},
			},
			{
				id: 7,
				capabilities: {
					genericDeviceClass: 0x08,
					specificDeviceClass: 0x06,
					commandClasses: [
						{ ccId: 0x40, isSupported: true, version: 3, supportedModes: [0, 1, 2, 3] },
						{
							ccId: 0x43,
							isSupported: true,
							version: 3,
							// The mock refuses a Set above minValue (its check reads
							// `value > minValue || value > maxValue`), so both bounds sit above
							// any temperature the tests ask for.
							setpoints: { 1: { minValue: 35, maxValue: 35, defaultValue: 20, scale: "°C" } },
						},
						{
							ccId: 0x31,
							isSupported: true,
							version: 11,
							sensors: { 1: { supportedScales: [0] } },
							getValue: () => 19.5,
						},
					],
				},
			},
			{
				id: 8,
				capabilities: {
					genericDeviceClass: 0x10,
					specificDeviceClass: 0x01,
					commandClasses: [
						{ ccId: 0x25, isSupported: true, version: 2, defaultValue: false },
						{ ccId: 0x5b, isSupported: true, version: 3 },
					],
				},
			},
		],
		onInit(controller, nodes) {
			nodes[0].defineBehavior({
				handleCC(controller, self, cc) {
					if (!(cc instanceof BasicCCSet)) return undefined;
					const motion = new NotificationCCReport({
						nodeId: controller.ownNodeId,
						notificationType: 7,
						notificationEvent: 8,
					});
					return { action: "sendCC", cc: motion };
				},
			});
			nodes[1].defineBehavior({
				handleCC(controller, self, cc) {
					if (!(cc instanceof BinarySwitchCCSet)) return undefined;
					plugOn = !!cc.targetValue;
					self.state.set("BinarySwitch_currentValue", cc.targetValue);
					const power = new MeterCCReport({
						nodeId: controller.ownNodeId,
						type: 1,
						scale: 2,
						rateType: 1,
						value: watts(),
					});
					return { action: "sendCC", cc: power };
				},
			});
			nodes[3].defineBehavior({
				handleCC(controller, self, cc) {
					if (!(cc instanceof BinarySwitchCCSet)) return undefined;
					self.state.set("BinarySwitch_currentValue", cc.targetValue);
					sequence = (sequence + 1) % 256;
					const press = new ScenePress({
						nodeId: controller.ownNodeId,
						sequenceNumber: sequence,
						keyAttribute: 0,
						sceneNumber: 1,
					});
					return { action: "sendCC", cc: press };
				},
			});
		},
	};
};
